package dev.nstun.stack.dns;

import java.nio.ByteBuffer;

/**
 * Network-order reads and writes, byte by byte: the stack's buffers may be in native order (device
 * code chooses), and a DNS field is big-endian either way. DNS messages are short and these are
 * off the per-packet hot path, so the byte-wise form costs nothing worth measuring.
 */
final class DnsBytes {

    private DnsBytes() {
    }

    /** Returns whether {@code [off, off + len)} lies inside {@code [0, buf.limit())}. */
    static boolean fits(ByteBuffer buf, int off, int len) {
        return off >= 0 && len >= 0 && len <= buf.limit() - off;
    }

    /** Returns the unsigned byte at {@code i}. */
    static int u8(ByteBuffer buf, int i) {
        return buf.get(i) & 0xff;
    }

    /** Returns the unsigned big-endian 16-bit value at {@code i}. */
    static int u16(ByteBuffer buf, int i) {
        return (buf.get(i) & 0xff) << 8 | buf.get(i + 1) & 0xff;
    }

    /** Writes the low 16 bits of {@code v} big-endian at {@code i}. */
    static void put16(ByteBuffer buf, int i, int v) {
        buf.put(i, (byte) (v >>> 8));
        buf.put(i + 1, (byte) v);
    }

    /** Writes {@code v} big-endian at {@code i}. */
    static void put32(ByteBuffer buf, int i, int v) {
        put16(buf, i, v >>> 16);
        put16(buf, i + 2, v);
    }

    /** Writes {@code v} big-endian at {@code i}. */
    static void put64(ByteBuffer buf, int i, long v) {
        put32(buf, i, (int) (v >>> 32));
        put32(buf, i + 4, (int) v);
    }
}
