package dev.nstun.policies.rules;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Aho–Corasick over the domain keywords of all rules: one pass over the flow's name finds every
 * keyword it contains, however many rules there are. The alphabet is what domain names hold
 * (a–z, 0–9, '-', '.', '_'); the loader refuses keywords with other characters, and any other
 * character in a name sends the automaton back to its start.
 */
final class KeywordAutomaton {
    private static final int ALPHABET = 39;

    /** Complete transition table: {@code next[state][symbol]}. */
    private final int[][] next;
    /** Rules whose keyword ends at each state, including those of its fail chain, sorted. */
    private final int[][] output;

    private KeywordAutomaton(int[][] next, int[][] output) {
        this.next = next;
        this.output = output;
    }

    /** Returns the symbol of a name character, or -1 for a character no keyword holds. */
    static int symbol(char c) {
        if (c >= 'a' && c <= 'z') {
            return c - 'a';
        }
        if (c >= '0' && c <= '9') {
            return 26 + (c - '0');
        }
        return switch (c) {
            case '-' -> 36;
            case '.' -> 37;
            case '_' -> 38;
            default -> -1;
        };
    }

    /** Builds the automaton from keyword → rule indices. */
    static KeywordAutomaton build(Map<String, IntList> keywords) {
        List<int[]> trie = new ArrayList<>();
        List<IntList> own = new ArrayList<>();
        trie.add(newState());
        own.add(new IntList());
        for (Map.Entry<String, IntList> e : keywords.entrySet()) {
            int state = 0;
            for (char c : e.getKey().toCharArray()) {
                int s = symbol(c);
                if (s < 0) {
                    throw new IllegalArgumentException("keyword " + e.getKey() + " holds '" + c + "'");
                }
                if (trie.get(state)[s] < 0) {
                    trie.get(state)[s] = trie.size();
                    trie.add(newState());
                    own.add(new IntList());
                }
                state = trie.get(state)[s];
            }
            for (int rule : e.getValue().toSortedArray()) {
                own.get(state).add(rule);
            }
        }
        int states = trie.size();
        int[][] next = trie.toArray(new int[0][]);
        int[] fail = new int[states];
        int[][] output = new int[states][];
        output[0] = own.get(0).toSortedArray();
        // Breadth-first, so a state's fail target is complete before the state itself.
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int s = 0; s < ALPHABET; s++) {
            if (next[0][s] < 0) {
                next[0][s] = 0;
            } else {
                fail[next[0][s]] = 0;
                queue.add(next[0][s]);
            }
        }
        while (!queue.isEmpty()) {
            int state = queue.poll();
            output[state] = union(own.get(state).toSortedArray(), output[fail[state]]);
            for (int s = 0; s < ALPHABET; s++) {
                int child = next[state][s];
                if (child < 0) {
                    next[state][s] = next[fail[state]][s];
                } else {
                    fail[child] = next[fail[state]][s];
                    queue.add(child);
                }
            }
        }
        return new KeywordAutomaton(next, output);
    }

    /** Returns the smallest rule below {@code best} with a keyword inside {@code name} that passes {@code rest}. */
    int first(String name, int best, IntPredicate rest) {
        int state = 0;
        for (int i = 0; i < name.length(); i++) {
            int s = symbol(name.charAt(i));
            state = s < 0 ? 0 : next[state][s];
            if (output[state].length > 0) {
                best = IntList.first(output[state], best, rest);
            }
        }
        return best;
    }

    private static int[] newState() {
        int[] row = new int[ALPHABET];
        Arrays.fill(row, -1);
        return row;
    }

    private static int[] union(int[] a, int[] b) {
        if (b.length == 0) {
            return a;
        }
        if (a.length == 0) {
            return b;
        }
        int[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return Arrays.stream(both).sorted().distinct().toArray();
    }
}
