package dev.nstun.stack.device;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A link that carries whole IP packets: the real TUN, an in-memory pipe for tests, a fault
 * injector or a pcap tap wrapped around another device (smoltcp's phy::Device, in Java).
 */
public interface Device extends AutoCloseable {
    /**
     * Reads one packet into {@code dst} at its position and advances it. Returns the packet length,
     * 0 when none is waiting, or -1 once the device is closed.
     */
    int receive(ByteBuffer dst) throws IOException;

    /** Sends the packet between {@code packet}'s position and limit, consuming it. */
    void transmit(ByteBuffer packet) throws IOException;

    /**
     * Waits until a packet can be received, {@link #wakeUp()} is called, or {@code timeoutMillis}
     * pass (negative: no limit). Returns whether a packet is waiting.
     */
    boolean awaitReceivable(int timeoutMillis) throws IOException;

    /** Makes a thread blocked in {@link #awaitReceivable} return early. */
    void wakeUp();

    /** Sends whatever the device still holds back; the loop calls it at the end of every turn. */
    default void flush() throws IOException {
    }

    @Override
    void close() throws IOException;
}
