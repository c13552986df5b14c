package dev.nstun.stack.tcp;

import dev.nstun.stack.wire.SeqNumber;

/**
 * The receiver's out-of-order queue, as sequence ranges: which bytes beyond RCV.NXT are already
 * parked in the receive ring (their bytes sit there at their offset; this class only keeps the
 * bookkeeping). Ranges are sorted, disjoint and never adjacent; each remembers when it last grew,
 * so that the SACK option can report the most recent first (RFC 2018 §4).
 *
 * <p>Bounded: at most {@link #MAX_RANGES} ranges. A segment that would need one more is refused and
 * simply not acknowledged; the sender retransmits it.
 */
final class OutOfOrderRanges {
    /** Most separate ranges kept; Linux's out-of-order queue is unbounded in count but bounded in memory. */
    static final int MAX_RANGES = 32;

    private final int[] left = new int[MAX_RANGES];
    private final int[] right = new int[MAX_RANGES];
    private final long[] stamp = new long[MAX_RANGES];
    private int count;
    private long clock;

    /** Returns the number of ranges. */
    int count() {
        return count;
    }

    /** Returns whether no byte is parked. */
    boolean isEmpty() {
        return count == 0;
    }

    /** Returns the left edge of range {@code i} in sequence order. */
    int left(int i) {
        return left[i];
    }

    /** Returns the right edge (exclusive) of range {@code i} in sequence order. */
    int right(int i) {
        return right[i];
    }

    /**
     * Records {@code [from, to)} (non-empty) as parked, merging with ranges it overlaps or touches.
     * Returns false, recording nothing, when that would need more than {@link #MAX_RANGES} ranges.
     */
    boolean add(int from, int to) {
        int i = 0;
        while (i < count && SeqNumber.lt(right[i], from)) i++;
        int j = i;
        while (j < count && SeqNumber.le(left[j], to)) j++;
        // Ranges i..j-1 overlap or touch [from, to).
        if (i == j) {
            if (count == MAX_RANGES) return false;
            System.arraycopy(left, i, left, i + 1, count - i);
            System.arraycopy(right, i, right, i + 1, count - i);
            System.arraycopy(stamp, i, stamp, i + 1, count - i);
            left[i] = from;
            right[i] = to;
            count++;
        } else {
            left[i] = SeqNumber.min(left[i], from);
            right[i] = SeqNumber.max(right[j - 1], to);
            int removed = j - i - 1;
            System.arraycopy(left, j, left, i + 1, count - j);
            System.arraycopy(right, j, right, i + 1, count - j);
            System.arraycopy(stamp, j, stamp, i + 1, count - j);
            count -= removed;
        }
        stamp[i] = ++clock;
        return true;
    }

    /**
     * Removes what RCV.NXT has reached: ranges wholly below {@code rcvNxt} go; a range that starts at or
     * below it is taken whole. Returns the new RCV.NXT (the right edge of the range taken, or
     * {@code rcvNxt}).
     */
    int advance(int rcvNxt) {
        int next = rcvNxt;
        int drop = 0;
        while (drop < count && SeqNumber.le(left[drop], next)) {
            next = SeqNumber.max(next, right[drop]);
            drop++;
        }
        if (drop > 0) {
            System.arraycopy(left, drop, left, 0, count - drop);
            System.arraycopy(right, drop, right, 0, count - drop);
            System.arraycopy(stamp, drop, stamp, 0, count - drop);
            count -= drop;
        }
        return next;
    }

    /**
     * Writes up to {@code max} ranges into {@code edges} as left, right pairs, most recently grown
     * first (the first block names the segment that triggered this ACK, RFC 2018 §4); returns how many.
     */
    int recentFirst(int[] edges, int max) {
        int n = Math.min(max, count);
        long below = Long.MAX_VALUE;
        for (int k = 0; k < n; k++) {
            int best = -1;
            for (int i = 0; i < count; i++) {
                if (stamp[i] < below && (best < 0 || stamp[i] > stamp[best])) best = i;
            }
            edges[2 * k] = left[best];
            edges[2 * k + 1] = right[best];
            below = stamp[best];
        }
        return n;
    }

    /** Forgets every range. */
    void clear() {
        count = 0;
    }
}
