package dev.nstun.stack.device;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.util.Optional;

/**
 * A device that passes everything to another; decorators (pcap tap, fault injector) override what they
 * change. It declines {@link #enableOffload()} (the inherited default): a decorator sees packets,
 * and one whose checksums the kernel left unfinished would read as corrupt in a capture, or hide the
 * corruption a fault injector adds.
 */
public abstract class ForwardingDevice implements Device {
    protected final Device inner;

    protected ForwardingDevice(Device inner) {
        this.inner = inner;
    }

    @Override
    public int receive(ByteBuffer dst) throws IOException {
        return inner.receive(dst);
    }

    @Override
    public void transmit(ByteBuffer packet) throws IOException {
        inner.transmit(packet);
    }

    @Override
    public boolean awaitReceivable(int timeoutMillis) throws IOException {
        return inner.awaitReceivable(timeoutMillis);
    }

    @Override
    public void wakeUp() {
        inner.wakeUp();
    }

    /** The inner link's: what a decorator holds back is read in the same drain as the packet that woke the loop. */
    @Override
    public Optional<SelectableChannel> readiness() throws IOException {
        return inner.readiness();
    }

    @Override
    public void flush() throws IOException {
        inner.flush();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
