package dev.nstun.stack.tcp;

/**
 * The memory the buffers of all connections of one stack may take between them, as Linux's tcp_mem
 * bounds its sockets: a buffer grows only while some is left, so under pressure the windows shrink to
 * what the buffers already hold, and a thousand busy connections slow down instead of running the
 * heap out. A buffer may still overshoot by what a window promised before the pressure came, and by
 * the {@link #GUARANTEED} minimum every buffer keeps. Loop thread only.
 */
public final class BufferMemory {
    /**
     * What every buffer may hold whatever the pressure: Linux's {@code tcp_rmem[0]} and
     * {@code tcp_wmem[0]}. Without it a buffer that had no array when the memory ran out could never
     * take a byte, and its connection would wait for a timer instead of moving slowly. It bounds the
     * overshoot too: at most this much per buffer beyond the limit.
     */
    public static final int GUARANTEED = 4096;

    private final long limit;
    private long used;

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

    void take(int bytes) {
        used += bytes;
    }

    void give(int bytes) {
        used -= bytes;
    }
}
