package dev.nstun.stack.dns;

import static dev.nstun.stack.dns.DnsBytes.u8;

import java.nio.ByteBuffer;

/**
 * Domain names in wire format (RFC 1035 §3.1) with compression pointers (§4.1.4), and the
 * presentation form nstun uses for them: lowercase ASCII, labels joined by dots, no trailing dot,
 * the root as {@code ""}.
 *
 * <p>{@link #skip} validates a name once; the other wire methods assume it did and never throw.
 * Every method that follows pointers takes {@code start}, the offset of the message's first byte,
 * because a pointer counts from there.
 */
final class WireNames {
    /** Longest name, in wire bytes: length octets and the root's zero included (RFC 1035 §3.1). */
    static final int MAX_LENGTH = 255;
    /** Longest label (RFC 1035 §2.3.4). */
    static final int MAX_LABEL_LENGTH = 63;
    /** {@link #skip} result: a label too long, a name too long, a reserved label type, or a bad pointer. */
    static final int BAD_NAME = -1;
    /** {@link #skip} result: the name runs past the end of the message. */
    static final int TRUNCATED = -2;

    private static final int POINTER = 0xc0;

    private WireNames() {
    }

    /**
     * Validates the name at {@code at} in the message {@code [start, end)} of {@code buf} and returns
     * the offset just past it where it sits (past its zero octet, or past its first pointer), or
     * {@link #BAD_NAME} or {@link #TRUNCATED}.
     *
     * <p>Why this terminates on any input: a pointer must point strictly before itself (RFC 1035
     * speaks of "a prior occurrence"), so a run of pointers with no label between them moves
     * strictly backwards and ends; any cycle therefore reads at least one label per round, and the
     * 255-byte cap on the name's length stops it.
     */
    static int skip(ByteBuffer buf, int start, int end, int at) {
        int p = at;
        int after = -1;
        int length = 1;
        while (true) {
            if (p >= end) return TRUNCATED;
            int b = u8(buf, p);
            if (b == 0) return after < 0 ? p + 1 : after;
            switch (b & POINTER) {
                case 0 -> {
                    length += b + 1;
                    if (length > MAX_LENGTH) return BAD_NAME;
                    if (b + 1 > end - p) return TRUNCATED;
                    p += b + 1;
                }
                case POINTER -> {
                    if (p + 1 >= end) return TRUNCATED;
                    int target = start + ((b & 0x3f) << 8 | u8(buf, p + 1));
                    if (target >= p) return BAD_NAME;
                    if (after < 0) after = p + 2;
                    p = target;
                }
                // 0x40 (extended label types, RFC 6891 §5 retired them) and 0x80 are reserved.
                default -> {
                    return BAD_NAME;
                }
            }
        }
    }

    /**
     * Returns the presentation form of the validated name at {@code at}: ASCII letters lowercased
     * (DNS compares names case-insensitively in ASCII only, RFC 4343), and a dot, a backslash or a
     * byte outside printable ASCII inside a label escaped as master files do ({@code \.},
     * {@code \\}, {@code \DDD}), so that two different wire names never read the same.
     */
    static String decode(ByteBuffer buf, int start, int at) {
        StringBuilder name = new StringBuilder(64);
        int p = follow(buf, start, at);
        for (int n = u8(buf, p); n != 0; p = follow(buf, start, p), n = u8(buf, p)) {
            if (!name.isEmpty()) name.append('.');
            for (int i = p + 1; i <= p + n; i++) appendEscaped(name, u8(buf, i));
            p += n + 1;
        }
        return name.toString();
    }

    private static void appendEscaped(StringBuilder name, int c) {
        if (c >= 'A' && c <= 'Z') {
            name.append((char) (c + ('a' - 'A')));
        } else if (c == '.' || c == '\\') {
            name.append('\\').append((char) c);
        } else if (c < 0x21 || c > 0x7e) {
            name.append('\\').append((char) ('0' + c / 100)).append((char) ('0' + c / 10 % 10)).append((char) ('0' + c % 10));
        } else {
            name.append((char) c);
        }
    }

    /**
     * Returns whether the validated names at {@code a} (message starting at {@code aStart}) and
     * {@code b} are the same name, ASCII case ignored.
     */
    static boolean equal(ByteBuffer aBuf, int aStart, int a, ByteBuffer bBuf, int bStart, int b) {
        while (true) {
            a = follow(aBuf, aStart, a);
            b = follow(bBuf, bStart, b);
            int n = u8(aBuf, a);
            if (n != u8(bBuf, b)) return false;
            if (n == 0) return true;
            for (int i = 1; i <= n; i++) {
                if (lower(u8(aBuf, a + i)) != lower(u8(bBuf, b + i))) return false;
            }
            a += n + 1;
            b += n + 1;
        }
    }

    /**
     * Writes the validated name at {@code at} into {@code dst} at {@code dstAt} without compression,
     * letters in their original case, and returns the number of bytes written (at most 255).
     */
    static int copy(ByteBuffer buf, int start, int at, ByteBuffer dst, int dstAt) {
        int q = dstAt;
        while (true) {
            at = follow(buf, start, at);
            int n = u8(buf, at);
            dst.put(q++, (byte) n);
            if (n == 0) return q - dstAt;
            dst.put(q, buf, at + 1, n);
            q += n;
            at += n + 1;
        }
    }

    /**
     * Returns how many wire bytes the presentation name {@code name} takes, or -1 when it is not a
     * plain host name we can write back: an empty label, a label over 63 bytes, a name over 255
     * bytes, or a character outside printable ASCII or a backslash (an escape, see {@link #decode}).
     */
    static int wireLength(String name) {
        if (name.isEmpty()) return 1;
        int labelLength = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (labelLength == 0) return -1;
                labelLength = 0;
            } else if (c < 0x21 || c > 0x7e || c == '\\' || ++labelLength > MAX_LABEL_LENGTH) {
                return -1;
            }
        }
        if (labelLength == 0) return -1;
        int length = name.length() + 2;
        return length <= MAX_LENGTH ? length : -1;
    }

    /**
     * Writes the presentation name {@code name}, for which {@link #wireLength} is positive, into
     * {@code dst} at {@code dstAt} and returns the number of bytes written.
     */
    static int encode(String name, ByteBuffer dst, int dstAt) {
        int lengthAt = dstAt;
        int q = dstAt + 1;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') {
                dst.put(lengthAt, (byte) (q - lengthAt - 1));
                lengthAt = q++;
            } else {
                dst.put(q++, (byte) c);
            }
        }
        if (q > lengthAt + 1) {
            dst.put(lengthAt, (byte) (q - lengthAt - 1));
            lengthAt = q++;
        }
        dst.put(lengthAt, (byte) 0);
        return q - dstAt;
    }

    /**
     * Returns {@code name} lowercased in ASCII and without one trailing dot: the form the pool keys
     * names by. Returns the same instance when nothing changes, as it does for names from
     * {@link #decode}.
     */
    static String normalize(String name) {
        int end = name.endsWith(".") ? name.length() - 1 : name.length();
        boolean lower = true;
        for (int i = 0; i < end && lower; i++) lower = name.charAt(i) < 'A' || name.charAt(i) > 'Z';
        if (lower) return end == name.length() ? name : name.substring(0, end);
        char[] chars = new char[end];
        for (int i = 0; i < end; i++) chars[i] = (char) lower(name.charAt(i));
        return new String(chars);
    }

    /** Returns where the label at {@code at} really starts, following pointers. */
    private static int follow(ByteBuffer buf, int start, int at) {
        int b = u8(buf, at);
        while ((b & POINTER) == POINTER) {
            at = start + ((b & 0x3f) << 8 | u8(buf, at + 1));
            b = u8(buf, at);
        }
        return at;
    }

    private static int lower(int c) {
        return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }
}
