package dev.nstun.policies.rules;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntPredicate;

/** A growable list of rule indices, frozen into a sorted array without duplicates. */
final class IntList {
    private int[] items = new int[2];
    private int size;

    void add(int value) {
        if (size == items.length) {
            items = Arrays.copyOf(items, size * 2);
        }
        items[size++] = value;
    }

    /** Returns the values in the order added. */
    int[] toArray() {
        return Arrays.copyOf(items, size);
    }

    /** Returns the values sorted, each once. */
    int[] toSortedArray() {
        if (size == 1) {
            // Most lists hold one rule: a name of a rule set, say, of which there may be a million.
            return new int[] {items[0]};
        }
        return Arrays.stream(items, 0, size).sorted().distinct().toArray();
    }

    static <K> Map<K, int[]> freeze(Map<K, IntList> lists) {
        Map<K, int[]> out = new HashMap<>(lists.size() * 2);
        lists.forEach((k, v) -> out.put(k, v.toSortedArray()));
        return out;
    }

    /**
     * Returns the first index in a sorted array that is below {@code best} and passes
     * {@code rest}, or {@code best} when none does; a null array holds nothing.
     */
    static int first(int[] sorted, int best, IntPredicate rest) {
        if (sorted == null) {
            return best;
        }
        for (int rule : sorted) {
            if (rule >= best) {
                break;
            }
            if (rest.test(rule)) {
                return rule;
            }
        }
        return best;
    }
}
