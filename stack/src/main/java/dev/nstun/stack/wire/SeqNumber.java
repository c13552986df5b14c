package dev.nstun.stack.wire;

/**
 * A TCP sequence number: 32 bits that wrap, compared by their distance (RFC 9293 §3.4, RFC 1982) and
 * never as plain integers. Two numbers compare correctly while they are less than 2^31 apart, which
 * the window sizes TCP allows guarantee.
 *
 * <p>The static methods take the raw {@code int} so the per-segment path can compare without
 * allocating; the instances are for state that reads better with a type.
 */
public record SeqNumber(int value) {

    /** Returns the sequence number with the low 32 bits of {@code value} (e.g. an unsigned field read as a long). */
    public static SeqNumber of(long value) {
        return new SeqNumber((int) value);
    }

    /** Returns this number advanced by {@code n} (negative goes back), wrapping modulo 2^32. */
    public SeqNumber plus(int n) {
        return new SeqNumber(value + n);
    }

    /** Returns the signed distance from {@code other} to this number ({@code this - other}). */
    public int minus(SeqNumber other) {
        return value - other.value;
    }

    /** Returns whether this number comes before {@code other}. */
    public boolean lt(SeqNumber other) {
        return lt(value, other.value);
    }

    /** Returns whether this number comes before or equals {@code other}. */
    public boolean le(SeqNumber other) {
        return le(value, other.value);
    }

    /** Returns whether this number comes after {@code other}. */
    public boolean gt(SeqNumber other) {
        return gt(value, other.value);
    }

    /** Returns whether this number comes after or equals {@code other}. */
    public boolean ge(SeqNumber other) {
        return ge(value, other.value);
    }

    /** Returns whether {@code start <= this < start + length}; {@code length} is unsigned, and 0 holds nothing. */
    public boolean inWindow(SeqNumber start, int length) {
        return inWindow(value, start.value, length);
    }

    /** Returns the later of this and {@code other}. */
    public SeqNumber max(SeqNumber other) {
        return lt(value, other.value) ? other : this;
    }

    /** Returns the earlier of this and {@code other}. */
    public SeqNumber min(SeqNumber other) {
        return lt(value, other.value) ? this : other;
    }

    /** Returns the number as the unsigned value a packet carries. */
    public long unsigned() {
        return Integer.toUnsignedLong(value);
    }

    /** Returns the unsigned decimal form, as tcpdump prints it. */
    @Override
    public String toString() {
        return Integer.toUnsignedString(value);
    }

    /** Returns whether sequence number {@code a} comes before {@code b}. */
    public static boolean lt(int a, int b) {
        return a - b < 0;
    }

    /** Returns whether sequence number {@code a} comes before or equals {@code b}. */
    public static boolean le(int a, int b) {
        return a - b <= 0;
    }

    /** Returns whether sequence number {@code a} comes after {@code b}. */
    public static boolean gt(int a, int b) {
        return a - b > 0;
    }

    /** Returns whether sequence number {@code a} comes after or equals {@code b}. */
    public static boolean ge(int a, int b) {
        return a - b >= 0;
    }

    /** Returns whether {@code start <= seq < start + length}; {@code length} is unsigned, and 0 holds nothing. */
    public static boolean inWindow(int seq, int start, int length) {
        return Integer.compareUnsigned(seq - start, length) < 0;
    }

    /** Returns the later of sequence numbers {@code a} and {@code b}. */
    public static int max(int a, int b) {
        return lt(a, b) ? b : a;
    }

    /** Returns the earlier of sequence numbers {@code a} and {@code b}. */
    public static int min(int a, int b) {
        return lt(a, b) ? a : b;
    }
}
