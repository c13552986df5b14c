package dev.nstun.stack.device;

import java.io.IOException;
import java.nio.ByteBuffer;

/** A device that passes everything to another; decorators (pcap tap, fault injector) override what they change. */
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

    @Override
    public void flush() throws IOException {
        inner.flush();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
