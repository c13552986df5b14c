package dev.nstun.stack.tcp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ScatteringByteChannel;

/**
 * A byte ring with a fixed ceiling: the send buffer (unacknowledged and unsent bytes) and the
 * receive buffer (in-order bytes not yet read, and out-of-order bytes parked behind them) of one
 * connection.
 *
 * <p>The backing array is native memory (a direct buffer, from {@link BufferMemory}'s blocks), so that
 * a socket reads into it and writes from it with no copy in between ({@link #readFrom},
 * {@link #writeTo}). It is taken with the first byte, starts small and doubles, up to
 * {@link #capacity()}, only when bytes must land beyond it: an idle connection costs nothing, a busy
 * one at most its ceiling. Growing happens at most log2(capacity / initial) times per connection;
 * {@link #release} gives the array back once the ring is empty for good (its direction is finished).
 *
 * <p>Positions are counted from the first stored byte ({@link #size()} bytes are "stored"); the
 * receiver may also write past {@link #size()} ({@link #writeAt}) and later {@link #commit} what
 * became contiguous.
 */
final class ByteRing {
    /** The least a ring allocates: its first write sizes it (a request, a short answer), and doubling goes on from there. */
    static final int FIRST_ALLOCATION = 1024;
    private static final ByteBuffer NONE = ByteBuffer.allocateDirect(0);

    private final int capacity;
    private final int initial;
    private final BufferMemory memory;
    private ByteBuffer data = NONE;
    /** Two views of {@link #data} for the two runs of bytes a wrapped range makes, in one scattering or gathering call. */
    private final ByteBuffer[] runs = new ByteBuffer[2];
    private int head;
    private int size;

    ByteRing(int capacity, int initial) {
        this(capacity, initial, BufferMemory.unlimited());
    }

    /** A ring of at most {@code capacity} bytes whose array, from {@code initial} bytes up, is charged to {@code memory}. */
    ByteRing(int capacity, int initial, BufferMemory memory) {
        if (capacity <= 0) throw new IllegalArgumentException("capacity: " + capacity + " (expected: > 0)");
        this.capacity = capacity;
        this.initial = Math.max(1, Math.min(capacity, initial));
        this.memory = memory;
    }

    /** Returns the most bytes the ring can hold. */
    int capacity() {
        return capacity;
    }

    /** Returns the number of stored bytes. */
    int size() {
        return size;
    }

    /**
     * Returns how many more bytes should be stored: up to {@link #limit()}. (More fit, up to the
     * capacity, for bytes a window promised.)
     */
    int free() {
        return Math.max(0, limit() - size);
    }

    /**
     * Returns how many bytes the ring should hold at most now: the capacity while the shared memory
     * lasts; under pressure what the array holds already, but never less than
     * {@link BufferMemory#GUARANTEED} (as Linux grants every socket {@code tcp_rmem[0]} and
     * {@code tcp_wmem[0]}): a connection slows down, it never stops for lack of memory.
     */
    int limit() {
        long limit = Math.max(BufferMemory.GUARANTEED, data.capacity() + memory.available());
        return (int) Math.min(capacity, limit);
    }

    /** Returns the length of the backing array (for tests of the growth policy). */
    int allocated() {
        return data.capacity();
    }

    /** Appends as many bytes of {@code src} (position to limit) as fit; advances its position and returns the count. */
    int write(ByteBuffer src) {
        int n = Math.min(src.remaining(), free());
        writeAt(0, src, src.position(), n);
        src.position(src.position() + n);
        size += n;
        return n;
    }

    /**
     * Copies {@code len} bytes at absolute {@code srcOff} of {@code src} to {@code offset} bytes past the
     * stored bytes, without storing them (see {@link #commit}). The range must fit: {@code offset +
     * len <= capacity() - size()}.
     */
    void writeAt(int offset, ByteBuffer src, int srcOff, int len) {
        if (offset < 0 || len < 0 || offset + len > capacity - size) {
            throw new IndexOutOfBoundsException("write of " + len + " at " + offset + " with " + (capacity - size)
                    + " free");
        }
        ensureAllocated(size + offset + len);
        int at = index(size + offset);
        int first = Math.min(len, data.capacity() - at);
        data.put(at, src, srcOff, first);
        if (first < len) data.put(0, src, srcOff + first, len - first);
    }

    /** Stores the {@code n} bytes already written just past the stored ones. */
    void commit(int n) {
        if (n < 0 || n > capacity - size) {
            throw new IndexOutOfBoundsException("commit of " + n + " with " + (capacity - size) + " free");
        }
        size += n;
    }

    /** Moves up to {@code dst.remaining()} stored bytes into {@code dst}; returns the count. */
    int read(ByteBuffer dst) {
        int n = Math.min(dst.remaining(), size);
        copyOut(0, dst, dst.position(), n);
        dst.position(dst.position() + n);
        discard(n);
        return n;
    }

    /** Copies {@code len} stored bytes starting {@code offset} bytes in to absolute {@code dstOff} of {@code dst}, keeping them stored. */
    void copyOut(int offset, ByteBuffer dst, int dstOff, int len) {
        if (offset < 0 || len < 0 || offset + len > size) {
            throw new IndexOutOfBoundsException("copy of " + len + " at " + offset + " from " + size + " stored");
        }
        int at = index(offset);
        int first = Math.min(len, data.capacity() - at);
        dst.put(dstOff, data, at, first);
        if (first < len) dst.put(dstOff + first, data, 0, len - first);
    }

    /**
     * Returns how many bytes {@link #readFrom} takes now: the free room the array already has, up to
     * {@link #limit()}. Until the ring has grown, a caller that may read more reads into a buffer of
     * its own and {@link #write}s it, which grows the ring to what came.
     */
    int freeInPlace() {
        return Math.min(free(), data.capacity() - size);
    }

    /**
     * Reads from {@code channel} straight after the stored bytes, at most {@code max} and
     * {@link #freeInPlace()}; stores and returns what came, or -1 at its end of stream.
     */
    int readFrom(ScatteringByteChannel channel, int max) throws IOException {
        int n = Math.min(max, freeInPlace());
        if (n <= 0) return 0;
        int read = (int) channel.read(runs, 0, setRuns(size, n));
        if (read > 0) size += read;
        return read;
    }

    /**
     * Writes up to {@code max} stored bytes from the first to {@code channel}, keeping them stored
     * (the caller {@link #discard}s what it took, as its window says); returns how many it took.
     */
    int writeTo(GatheringByteChannel channel, int max) throws IOException {
        int n = Math.min(max, size);
        if (n == 0) return 0;
        return (int) channel.write(runs, 0, setRuns(0, n));
    }

    /**
     * Points the ring's two views at the {@code len} stored bytes {@code offset} bytes in, keeping them
     * stored, for a caller that hands them to the kernel where they are; returns how many views they
     * take: 2 when they wrap past the array's end. {@link #run} returns the views; the next call of
     * this, {@link #readFrom} or {@link #writeTo} moves them.
     */
    int runs(int offset, int len) {
        if (offset < 0 || len <= 0 || offset + len > size) {
            throw new IndexOutOfBoundsException("runs of " + len + " at " + offset + " from " + size + " stored");
        }
        return setRuns(offset, len);
    }

    /** Returns view {@code i} (0 or 1) as {@link #runs} set it: its position to limit are the bytes. */
    ByteBuffer run(int i) {
        return runs[i];
    }

    /** Points {@link #runs} at the {@code len} bytes {@code position} bytes past the head; returns how many runs they take. */
    private int setRuns(int position, int len) {
        int at = index(position);
        int first = Math.min(len, data.capacity() - at);
        runs[0].limit(at + first).position(at);
        if (first == len) return 1;
        runs[1].limit(len - first).position(0);
        return 2;
    }

    /** Drops the first {@code n} stored bytes. */
    void discard(int n) {
        if (n < 0 || n > size) throw new IndexOutOfBoundsException("discard of " + n + " from " + size + " stored");
        head = index(n);
        size -= n;
    }

    private int index(int position) {
        int i = head + position;
        return i >= data.capacity() ? i - data.capacity() : i;
    }

    /** Drops the backing array of an empty ring, giving its memory back; a later write allocates anew. */
    void release() {
        if (size != 0) throw new IllegalStateException("release with " + size + " bytes stored");
        dispose();
    }

    /** Drops whatever is stored and the array (the connection is gone). */
    void dispose() {
        memory.free(data);
        data = NONE;
        runs[0] = null;
        runs[1] = null;
        head = 0;
        size = 0;
    }

    /** Grows the array (doubling, capped at the capacity) until positions below {@code needed} exist. */
    private void ensureAllocated(int needed) {
        if (needed <= data.capacity()) return;
        int length = Math.max(data.capacity(), initial);
        while (length < needed) length = (int) Math.min(capacity, 2L * length);
        ByteBuffer grown = memory.allocate(length);
        // Everything may matter, out-of-order bytes past size included: copy the whole old ring in order.
        int first = data.capacity() - head;
        grown.put(0, data, head, first);
        grown.put(first, data, 0, head);
        memory.free(data);
        data = grown;
        runs[0] = grown.duplicate();
        runs[1] = grown.duplicate();
        head = 0;
    }
}
