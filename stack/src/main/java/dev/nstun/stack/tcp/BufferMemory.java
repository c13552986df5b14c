package dev.nstun.stack.tcp;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The memory the buffers of all connections of one stack may take between them, as Linux's tcp_mem
 * bounds its sockets: a buffer grows only while some is left, so under pressure the windows shrink to
 * what the buffers already hold, and a thousand busy connections slow down instead of running the
 * heap out. A buffer may still overshoot by what a window promised before the pressure came, and by
 * the {@link #GUARANTEED} minimum every buffer keeps.
 *
 * <p>The buffers' arrays are native memory ({@link ByteRing}), which the JVM frees only when a
 * collection finds the buffer unreachable, and allocates with a lock, a zeroing and a cleaner each: a
 * block given back is kept for the next buffer of its size, up to {@link #POOL_LIMIT} in all (of
 * sizes a power of two, as rings double from one), so that connections coming and going reuse
 * memory rather than allocate it. Loop thread only.
 */
public final class BufferMemory {
    /**
     * What every buffer may hold whatever the pressure: Linux's {@code tcp_rmem[0]} and
     * {@code tcp_wmem[0]}. Without it a buffer that had no array when the memory ran out could never
     * take a byte, and its connection would wait for a timer instead of moving slowly. It bounds the
     * overshoot too: at most this much per buffer beyond the limit.
     */
    public static final int GUARANTEED = 4096;

    /** The most native memory kept for reuse, whatever the limit: what sixteen busy connections hold. */
    static final long POOL_LIMIT = 32L << 20;

    private final long limit;
    private long used;
    /** Blocks given back, by log2 of their size. */
    @SuppressWarnings("unchecked")
    private final ArrayDeque<ByteBuffer>[] pool = new ArrayDeque[Integer.SIZE];
    private long pooled;

    /** Allows {@code limit} bytes in all. */
    public BufferMemory(long limit) {
        if (limit <= 0) throw new IllegalArgumentException("limit: " + limit + " (expected: > 0)");
        this.limit = limit;
    }

    /** Returns memory without a limit (for a lone connection, as in tests). */
    public static BufferMemory unlimited() {
        return new BufferMemory(Long.MAX_VALUE / 4);
    }

    /** Returns the bytes the buffers hold now. */
    public long used() {
        return used;
    }

    /** Returns how many more bytes the buffers may take. */
    long available() {
        return Math.max(0, limit - used);
    }

    /** Returns the bytes kept for reuse. */
    long pooled() {
        return pooled;
    }

    /** Takes a block of {@code length} bytes of native memory: one given back if there is one of that size, else a new one. */
    ByteBuffer allocate(int length) {
        ByteBuffer block = null;
        if (Integer.bitCount(length) == 1) {
            ArrayDeque<ByteBuffer> blocks = pool[Integer.numberOfTrailingZeros(length)];
            if (blocks != null && !blocks.isEmpty()) {
                pooled -= length;
                block = blocks.pop().clear();
            }
        }
        // Counted once it exists: a JVM out of native memory throws here and leaves the count as it was.
        if (block == null) block = ByteBuffer.allocateDirect(length);
        used += length;
        return block;
    }

    /** Gives {@code block} (from {@link #allocate}) back; it is kept for reuse while the pool has room. */
    void free(ByteBuffer block) {
        int length = block.capacity();
        if (length == 0) return;
        used -= length;
        if (Integer.bitCount(length) != 1 || pooled + length > POOL_LIMIT) return;
        int size = Integer.numberOfTrailingZeros(length);
        if (pool[size] == null) pool[size] = new ArrayDeque<>();
        pool[size].push(block);
        pooled += length;
    }
}
