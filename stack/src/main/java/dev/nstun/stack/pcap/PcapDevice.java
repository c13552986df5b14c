package dev.nstun.stack.pcap;

import dev.nstun.stack.device.Device;
import dev.nstun.stack.device.ForwardingDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;

/** Wraps a device and records every packet crossing it, both directions, in a pcap file. */
public final class PcapDevice extends ForwardingDevice {
    private final PcapWriter pcap;
    private final Clock clock;

    public PcapDevice(Device inner, PcapWriter pcap, Clock clock) {
        super(inner);
        this.pcap = pcap;
        this.clock = clock;
    }

    @Override
    public int receive(ByteBuffer dst) throws IOException {
        int start = dst.position();
        int n = inner.receive(dst);
        if (n > 0) pcap.write(dst.duplicate().limit(start + n).position(start), micros());
        return n;
    }

    @Override
    public void transmit(ByteBuffer packet) throws IOException {
        pcap.write(packet, micros());
        inner.transmit(packet);
    }

    @Override
    public void close() throws IOException {
        try {
            inner.close();
        } finally {
            pcap.close();
        }
    }

    private long micros() {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
    }
}
