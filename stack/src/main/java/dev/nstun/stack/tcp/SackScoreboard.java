package dev.nstun.stack.tcp;

import dev.nstun.stack.wire.SeqNumber;

/**
 * The sender's SACK scoreboard (RFC 6675 §3, after gVisor's sack_scoreboard.go): which bytes
 * between SND.UNA and SND.NXT the receiver holds out of order, as sorted, disjoint, non-adjacent
 * sequence ranges.
 *
 * <p>Bounded at {@link #MAX_BLOCKS} ranges: when full, a new range that would need one more is
 * dropped. Forgetting SACK information is always safe (the sender merely retransmits a segment
 * the receiver already has); believing false information never happens.
 */
final class SackScoreboard {
    /** Most ranges kept (a receiver reports at most 4 per ACK, but they accumulate over a window). */
    static final int MAX_BLOCKS = 32;

    private final int[] left = new int[MAX_BLOCKS];
    private final int[] right = new int[MAX_BLOCKS];
    private int count;

    /** Returns the number of ranges. */
    int count() {
        return count;
    }

    /** Returns whether nothing is SACKed. */
    boolean isEmpty() {
        return count == 0;
    }

    /** Returns the right edge of the highest SACKed range, or {@code otherwise} when there is none. */
    int highestSacked(int otherwise) {
        return count == 0 ? otherwise : right[count - 1];
    }

    /**
     * Records a SACK block, clamped to {@code (una, nxt]} (blocks at or below SND.UNA are D-SACKs or
     * stale, RFC 2883; blocks beyond SND.NXT are bogus). Returns how many bytes were not SACKed before.
     */
    int add(int from, int to, int una, int nxt) {
        if (SeqNumber.lt(from, una)) from = una;
        if (SeqNumber.gt(to, nxt)) to = nxt;
        if (SeqNumber.ge(from, to)) return 0;
        int before = sackedBetween(from, to);
        int i = 0;
        while (i < count && SeqNumber.lt(right[i], from)) i++;
        int j = i;
        while (j < count && SeqNumber.le(left[j], to)) j++;
        if (i == j) {
            if (count == MAX_BLOCKS) return 0;
            System.arraycopy(left, i, left, i + 1, count - i);
            System.arraycopy(right, i, right, i + 1, count - i);
            left[i] = from;
            right[i] = to;
            count++;
        } else {
            left[i] = SeqNumber.min(left[i], from);
            right[i] = SeqNumber.max(right[j - 1], to);
            System.arraycopy(left, j, left, i + 1, count - j);
            System.arraycopy(right, j, right, i + 1, count - j);
            count -= j - i - 1;
        }
        return (to - from) - before;
    }

    /** Forgets what SND.UNA has passed. */
    void advance(int una) {
        int drop = 0;
        while (drop < count && SeqNumber.le(right[drop], una)) drop++;
        if (drop > 0) {
            System.arraycopy(left, drop, left, 0, count - drop);
            System.arraycopy(right, drop, right, 0, count - drop);
            count -= drop;
        }
        if (count > 0 && SeqNumber.lt(left[0], una)) left[0] = una;
    }

    /** Forgets everything (after a retransmission timeout the receiver may have reneged, RFC 2018 §8). */
    void clear() {
        count = 0;
    }

    /** Returns {@code seq}, or the right edge of the range holding it: the first byte at or after it not SACKed. */
    int nextUnsacked(int seq) {
        for (int i = 0; i < count; i++) {
            if (SeqNumber.lt(seq, left[i])) return seq;
            if (SeqNumber.lt(seq, right[i])) return right[i];
        }
        return seq;
    }

    /** Returns the left edge of the first range above {@code seq}, or {@code limit} when none comes first. */
    int holeEnd(int seq, int limit) {
        for (int i = 0; i < count; i++) {
            if (SeqNumber.gt(left[i], seq)) return SeqNumber.min(left[i], limit);
        }
        return limit;
    }

    /** Returns how many bytes of {@code [from, to)} are SACKed. */
    int sackedBetween(int from, int to) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            int l = SeqNumber.max(left[i], from);
            int r = SeqNumber.min(right[i], to);
            if (SeqNumber.lt(l, r)) n += r - l;
        }
        return n;
    }

    /**
     * Returns the edge below which every byte not SACKed counts as lost (RFC 6675 IsLost): a byte is
     * lost once {@code dupThresh} separate SACKed ranges, or more than {@code (dupThresh - 1) * mss}
     * SACKed bytes, lie above it. Returns {@code una} when nothing is lost.
     */
    int lostEdge(int una, int mss, int dupThresh) {
        int edge = una;
        if (count >= dupThresh) edge = left[count - dupThresh];
        long bytes = 0;
        long limit = (long) (dupThresh - 1) * mss;
        for (int i = count - 1; i >= 0; i--) {
            int length = right[i] - left[i];
            if (bytes + length > limit) {
                // Every byte below this range has more than the limit SACKed above it.
                edge = SeqNumber.max(edge, left[i]);
                break;
            }
            bytes += length;
        }
        return SeqNumber.max(edge, una);
    }
}
