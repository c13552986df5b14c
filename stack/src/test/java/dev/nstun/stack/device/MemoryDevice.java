package dev.nstun.stack.device;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory link for tests: packets queued to be received, and a record of those transmitted.
 * Public for {@code dev.nstun.stack.NetStackTest}, which turns the stack's loop over it.
 */
public final class MemoryDevice implements Device {
    /** Packets the next {@link #receive} calls return, in order. */
    public final ArrayDeque<byte[]> toReceive = new ArrayDeque<>();
    /** Every packet transmitted, in order. */
    public final List<byte[]> transmitted = new ArrayList<>();
    /** How many times {@link #wakeUp} was called. */
    public final AtomicInteger wakeUps = new AtomicInteger();

    @Override
    public int receive(ByteBuffer dst) {
        byte[] p = toReceive.poll();
        if (p == null) return 0;
        dst.put(p);
        return p.length;
    }

    @Override
    public void transmit(ByteBuffer packet) {
        byte[] p = new byte[packet.remaining()];
        packet.get(p);
        transmitted.add(p);
    }

    @Override
    public boolean awaitReceivable(int timeoutMillis) {
        return !toReceive.isEmpty();
    }

    @Override
    public void wakeUp() {
        wakeUps.incrementAndGet();
    }

    @Override
    public void close() {
    }
}
