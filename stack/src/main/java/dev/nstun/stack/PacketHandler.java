package dev.nstun.stack;

import dev.nstun.stack.device.Device;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Takes one packet read from a device; replies, if any, go back through {@code device}. */
@FunctionalInterface
public interface PacketHandler {
    /** Handles the packet between {@code packet}'s position and limit; the buffer is reused after return. */
    void handle(ByteBuffer packet, Device device) throws IOException;

    /** Drops every packet (what nstun does with traffic it has no stack for). */
    PacketHandler DISCARD = (packet, device) -> { };
}
