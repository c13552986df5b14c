package dev.nstun.stack;

import dev.nstun.stack.device.Device;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that reads packets from the device and hands each to a {@link PacketHandler},
 * reusing one direct buffer: the handler owns the packet only for the duration of the call.
 */
public final class PacketLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(PacketLoop.class);
    /** Largest IP packet a TUN hands over (its MTU cannot exceed this). */
    public static final int MAX_PACKET = 65535;

    private final Device device;
    private final PacketHandler handler;
    private final ByteBuffer packet = ByteBuffer.allocateDirect(MAX_PACKET);
    private final LongAdder packets = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private volatile boolean stopping;

    public PacketLoop(Device device, PacketHandler handler) {
        this.device = device;
        this.handler = handler;
    }

    @Override
    public void run() {
        try {
            while (!stopping) {
                if (!device.awaitReceivable(-1)) continue;
                int n;
                while (!stopping && (n = device.receive(packet.clear())) > 0) {
                    packets.increment();
                    bytes.add(n);
                    handler.handle(packet.flip(), device);
                }
            }
        } catch (IOException e) {
            if (!stopping) log.error("packet loop stopped: {}", e.getMessage());
        }
    }

    /** Asks the loop to return; safe from any thread. */
    public void stop() {
        stopping = true;
        device.wakeUp();
    }

    /** Returns how many packets were read from the device. */
    public long packetsReceived() {
        return packets.sum();
    }

    /** Returns how many bytes were read from the device. */
    public long bytesReceived() {
        return bytes.sum();
    }
}
