package dev.nstun.policies.rules;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * A binary trie of prefixes of one address family: a lookup walks the address bit by bit and
 * meets every prefix that contains it, shortest first. Nodes live in flat arrays.
 */
final class CidrTrie {
    private final int bits;
    /** {@code children[2 * node + bit]}: the child node, or 0 for none (the root is never a child). */
    private int[] children = new int[64];
    private IntList[] pending = new IntList[32];
    private int[][] rules;
    private int nodes = 1;

    CidrTrie(int bits) {
        this.bits = bits;
    }

    /** Adds a prefix ({@code address} with {@code length} leading bits significant) for a rule. */
    void add(byte[] address, int length, int rule) {
        if (address.length * 8 != bits) {
            throw new IllegalArgumentException("a " + bits + "-bit trie takes no " + address.length + "-byte address");
        }
        int node = 0;
        for (int depth = 0; depth < length; depth++) {
            int slot = 2 * node + bit(address, depth);
            if (children[slot] == 0) {
                // Not children[slot] = newNode(): Java would store into the array from before newNode grew it.
                int child = newNode();
                children[slot] = child;
            }
            node = children[slot];
        }
        if (pending[node] == null) {
            pending[node] = new IntList();
        }
        pending[node].add(rule);
    }

    /** Ends building: rule lists become sorted arrays. */
    CidrTrie freeze() {
        rules = new int[nodes][];
        for (int n = 0; n < nodes; n++) {
            rules[n] = pending[n] == null ? null : pending[n].toSortedArray();
        }
        pending = null;
        children = Arrays.copyOf(children, 2 * nodes);
        return this;
    }

    /** Returns the smallest rule below {@code best} with a prefix containing {@code address} that passes {@code rest}. */
    int first(byte[] address, int best, IntPredicate rest) {
        int node = 0;
        for (int depth = 0; ; depth++) {
            best = IntList.first(rules[node], best, rest);
            if (depth == bits) {
                return best;
            }
            node = children[2 * node + bit(address, depth)];
            if (node == 0) {
                return best;
            }
        }
    }

    private int newNode() {
        if (2 * nodes + 2 > children.length) {
            children = Arrays.copyOf(children, children.length * 2);
        }
        if (nodes == pending.length) {
            pending = Arrays.copyOf(pending, pending.length * 2);
        }
        return nodes++;
    }

    private static int bit(byte[] address, int index) {
        return (address[index >>> 3] >>> (7 - (index & 7))) & 1;
    }
}
