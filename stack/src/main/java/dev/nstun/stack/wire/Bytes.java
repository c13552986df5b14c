package dev.nstun.stack.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Absolute network-order reads and writes on a {@link ByteBuffer}, whatever {@link ByteBuffer#order()}
 * its owner chose: the views share buffers with device code that may set native order for its own
 * headers (virtio-net), and a packet field is big-endian either way. The order test is a field read
 * the JIT hoists; the buffer's own getters inline more reliably than byte-buffer VarHandles, which
 * measured up to 4 times slower where their call chain did not inline.
 */
final class Bytes {

    private Bytes() {
    }

    /** Returns whether {@code [off, off + len)} lies inside {@code [0, buf.limit())}. */
    static boolean fits(ByteBuffer buf, int off, int len) {
        return off >= 0 && len >= 0 && len <= buf.limit() - off;
    }

    /** Returns whether the buffer's multi-byte getters read network order. */
    static boolean networkOrder(ByteBuffer buf) {
        return buf.order() == ByteOrder.BIG_ENDIAN;
    }

    /** Returns the unsigned byte at {@code i}. */
    static int u8(ByteBuffer buf, int i) {
        return buf.get(i) & 0xff;
    }

    /** Returns the unsigned big-endian 16-bit value at {@code i}. */
    static int u16(ByteBuffer buf, int i) {
        short v = buf.getShort(i);
        return (networkOrder(buf) ? v : Short.reverseBytes(v)) & 0xffff;
    }

    /** Returns the big-endian 32-bit value at {@code i}. */
    static int i32(ByteBuffer buf, int i) {
        int v = buf.getInt(i);
        return networkOrder(buf) ? v : Integer.reverseBytes(v);
    }

    /** Returns the big-endian 64-bit value at {@code i}. */
    static long i64(ByteBuffer buf, int i) {
        long v = buf.getLong(i);
        return networkOrder(buf) ? v : Long.reverseBytes(v);
    }

    /** Writes the low 8 bits of {@code v} at {@code i}. */
    static void put8(ByteBuffer buf, int i, int v) {
        buf.put(i, (byte) v);
    }

    /** Writes the low 16 bits of {@code v} big-endian at {@code i}. */
    static void put16(ByteBuffer buf, int i, int v) {
        buf.putShort(i, networkOrder(buf) ? (short) v : Short.reverseBytes((short) v));
    }

    /** Writes {@code v} big-endian at {@code i}. */
    static void put32(ByteBuffer buf, int i, int v) {
        buf.putInt(i, networkOrder(buf) ? v : Integer.reverseBytes(v));
    }

    /** Writes {@code v} big-endian at {@code i}. */
    static void put64(ByteBuffer buf, int i, long v) {
        buf.putLong(i, networkOrder(buf) ? v : Long.reverseBytes(v));
    }
}
