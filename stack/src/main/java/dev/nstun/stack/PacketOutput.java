package dev.nstun.stack;

import java.nio.ByteBuffer;

/**
 * Where the loop's handlers build the packets they send: one buffer, owned by the loop thread,
 * filled from offset 0 and sent with {@link #send(int)} before the next packet is built.
 */
public interface PacketOutput {
    /** Returns the buffer to build the next packet in (its position and limit are free to change). */
    ByteBuffer buffer();

    /** Sends the first {@code length} bytes of {@link #buffer()} as one packet to the command. */
    void send(int length);
}
