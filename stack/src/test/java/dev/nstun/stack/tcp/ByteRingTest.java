package dev.nstun.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ByteRingTest {

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static String read(ByteRing ring, int n) {
        ByteBuffer dst = ByteBuffer.allocate(n);
        ring.read(dst);
        return new String(dst.array(), 0, dst.position(), StandardCharsets.US_ASCII);
    }

    @Test
    void writtenBytesComeBackInOrder() {
        ByteRing ring = new ByteRing(16, 4);
        assertEquals(5, ring.write(bytes("hello")), "written");
        assertEquals("hello", read(ring, 16), "read");
        assertEquals(0, ring.size(), "size after");
    }

    @Test
    void writeStopsAtTheCapacity() {
        ByteRing ring = new ByteRing(8, 8);
        ByteBuffer src = bytes("0123456789");
        assertEquals(8, ring.write(src), "written");
        assertEquals(8, src.position(), "source position");
        assertEquals(0, ring.free(), "free");
    }

    @Test
    void bytesWrapAroundTheEndOfTheArray() {
        ByteRing ring = new ByteRing(8, 8);
        StringBuilder got = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            ring.write(bytes("abcde"));
            got.append(read(ring, 3)).append(read(ring, 2));
        }
        assertEquals("abcde".repeat(10), got.toString(), "bytes");
    }

    @Test
    void arrayGrowsByDoublingOnlyUpToTheCapacity() {
        ByteRing ring = new ByteRing(100, 16);
        assertEquals(0, ring.allocated(), "allocated at start");
        ring.write(ByteBuffer.allocate(1));
        assertEquals(16, ring.allocated(), "allocated with the first byte");
        ring.write(ByteBuffer.allocate(16));
        assertEquals(32, ring.allocated(), "allocated after 17 bytes");
        ring.write(ByteBuffer.allocate(83));
        assertEquals(100, ring.allocated(), "allocated when full: the capacity, not 128");
    }

    @Test
    void sharedMemoryBoundsGrowthButNotWhatAWindowPromised() {
        int k = 1024;
        BufferMemory memory = new BufferMemory(48 * k);
        ByteRing a = new ByteRing(100 * k, 16 * k, memory);
        ByteRing b = new ByteRing(100 * k, 16 * k, memory);
        assertEquals(48 * k, a.free(), "free: what the memory allows");
        a.write(ByteBuffer.allocate(40 * k));
        assertEquals(64 * k, a.allocated(), "allocated: doubling may overshoot the memory");
        assertEquals(24 * k, a.free(), "free in a: what its array still holds");
        assertEquals(BufferMemory.GUARANTEED, b.free(), "free in b: nothing left to grow into but the guaranteed minimum");
        b.writeAt(0, ByteBuffer.allocate(10 * k), 0, 10 * k); // bytes a window promised before still land
        b.commit(10 * k);
        assertEquals(80 * k, memory.used(), "used");
        a.dispose();
        b.read(ByteBuffer.allocate(10 * k));
        b.release();
        assertEquals(0, memory.used(), "used after both are gone");
    }

    @Test
    void underPressureARingWithoutAnArrayStillTakesItsGuaranteedMinimumAndRefillsIt() {
        BufferMemory memory = new BufferMemory(8192);
        ByteRing a = new ByteRing(1 << 20, ByteRing.FIRST_ALLOCATION, memory);
        ByteRing b = new ByteRing(1 << 20, ByteRing.FIRST_ALLOCATION, memory);
        assertEquals(8192, a.write(ByteBuffer.allocate(10_000)), "a takes all the memory");
        assertEquals(0, a.free(), "free in a once the memory is gone");
        assertEquals(BufferMemory.GUARANTEED, b.free(), "free in b with no memory left and no array");
        assertEquals(BufferMemory.GUARANTEED, b.write(ByteBuffer.allocate(10_000)), "b takes its guaranteed minimum");
        assertEquals(0, b.free(), "free in b once full");
        b.read(ByteBuffer.allocate(100));
        assertEquals(100, b.free(), "free in b after 100 bytes are read: the guaranteed minimum refills");
        a.dispose();
        assertEquals(8192 - (BufferMemory.GUARANTEED - 100), b.free(), "free in b once a gave its memory back: its array and what is left");
        b.dispose();
        assertEquals(0, memory.used(), "used after both are gone");
    }

    @Test
    void releaseGivesTheArrayBackAndAWriteAllocatesAgain() {
        ByteRing ring = new ByteRing(100, 16);
        ring.write(ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII)));
        assertThrows(IllegalStateException.class, ring::release, "release while bytes are stored");
        ring.read(ByteBuffer.allocate(3));
        ring.release();
        assertEquals(0, ring.allocated(), "allocated after release");
        ring.write(ByteBuffer.wrap("de".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("de", read(ring, 2));
    }

    @Test
    void parkedBytesSurviveDrainingAndGrowth() {
        ByteRing ring = new ByteRing(64, 4);
        ring.write(bytes("abc"));
        assertEquals("abc", read(ring, 3), "read");
        ring.writeAt(3, bytes("xyz"), 0, 3);
        ring.writeAt(0, bytes("012"), 0, 3);
        ring.commit(6);
        assertEquals("012xyz", read(ring, 6), "in-order and parked bytes");
    }

    @Test
    void copyOutLeavesTheBytesStored() {
        ByteRing ring = new ByteRing(16, 16);
        ring.write(bytes("abcdef"));
        ByteBuffer dst = ByteBuffer.allocate(10);
        ring.copyOut(2, dst, 5, 3);
        assertEquals("cde", new String(dst.array(), 5, 3, StandardCharsets.US_ASCII), "copied");
        assertEquals(6, ring.size(), "size");
    }

    @Test
    void aSocketReadsIntoTheRingAndWritesFromItAcrossItsEnd() throws IOException {
        Pipe in = Pipe.open();
        Pipe out = Pipe.open();
        try (Pipe.SourceChannel source = in.source(); Pipe.SinkChannel toRing = in.sink();
             Pipe.SourceChannel fromRing = out.source(); Pipe.SinkChannel sink = out.sink()) {
            ByteRing ring = new ByteRing(8, 8);
            assertEquals(0, ring.freeInPlace(), "room in place before the ring has an array");
            ring.write(bytes("abcdef"));
            assertEquals("abcde", read(ring, 5), "read"); // the head is now at 5 of 8: what follows wraps
            assertEquals(7, ring.freeInPlace(), "room in place");
            toRing.write(bytes("ghijklmn"));
            assertEquals(6, ring.readFrom(source, 6), "read from the channel: at most what was asked");
            assertEquals(7, ring.size(), "stored");
            assertEquals(1, ring.readFrom(source, 100), "read from the channel: at most the room in place");
            assertEquals(0, ring.freeInPlace(), "room in place when full");
            assertEquals(5, ring.writeTo(sink, 5), "written to the channel: at most what was asked");
            assertEquals(8, ring.size(), "written bytes stay stored until discarded");
            ring.discard(5);
            assertEquals(3, ring.writeTo(sink, 100), "written to the channel: at most what is stored");
            ring.discard(3);
            ByteBuffer got = ByteBuffer.allocate(8);
            while (got.hasRemaining()) fromRing.read(got);
            assertEquals("fghijklm", new String(got.array(), StandardCharsets.US_ASCII), "bytes through the ring, in order");
        }
    }

    @Test
    void aChannelAtItsEndReadsMinusOneAndStoresNothing() throws IOException {
        Pipe pipe = Pipe.open();
        try (Pipe.SourceChannel source = pipe.source()) {
            pipe.sink().close();
            ByteRing ring = new ByteRing(8, 8);
            ring.write(bytes("a"));
            assertEquals(-1, ring.readFrom(source, 7), "read at the end of stream");
            assertEquals(1, ring.size(), "stored");
        }
    }

    @Test
    void blocksGivenBackAreReusedUpToThePoolsLimit() {
        BufferMemory memory = new BufferMemory(1L << 30);
        ByteRing a = new ByteRing(1 << 20, 1024, memory);
        a.write(ByteBuffer.allocate(1000));
        a.write(ByteBuffer.allocate(2000));
        assertEquals(4096, memory.used(), "used: the array of 4 KiB");
        assertEquals(1024, memory.pooled(), "pooled: the 1 KiB array it grew from");
        ByteRing b = new ByteRing(1 << 20, 1024, memory);
        b.write(bytes("x"));
        assertEquals(0, memory.pooled(), "pooled once b took that block");
        a.dispose();
        b.dispose();
        assertEquals(0, memory.used(), "used once both are gone");
        assertEquals(5120, memory.pooled(), "pooled: both blocks");
        ByteRing odd = new ByteRing(100, 100, memory);
        odd.write(bytes("y"));
        odd.dispose();
        assertEquals(5120, memory.pooled(), "pooled: a block whose size is no power of two is not kept");
        ByteRing big = new ByteRing(Integer.MAX_VALUE, (int) BufferMemory.POOL_LIMIT, memory);
        big.write(bytes("z"));
        big.dispose();
        assertEquals(5120, memory.pooled(), "pooled: a block that would take the pool past its limit is not kept");
    }

    @Test
    void rangesOutsideTheRingAreRefused() {
        ByteRing ring = new ByteRing(8, 8);
        ring.write(bytes("abc"));
        assertThrows(IndexOutOfBoundsException.class, () -> ring.copyOut(2, ByteBuffer.allocate(8), 0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> ring.writeAt(3, bytes("xyz"), 0, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> ring.discard(4));
        assertThrows(IndexOutOfBoundsException.class, () -> ring.commit(6));
    }
}
