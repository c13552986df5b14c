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

    /**
     * Sends a TCP segment whose headers are the first {@code headerLength} bytes of {@link #buffer()}
     * and whose payload is {@code payload} then {@code more} (null: none), as
     * {@link dev.nstun.stack.device.Device#transmitTcp} takes it: only on a link whose
     * {@link dev.nstun.stack.device.Device#enableOffload} agreed.
     */
    default void sendTcp(int headerLength, ByteBuffer payload, ByteBuffer more, int segmentSize) {
        throw new UnsupportedOperationException("this output does not offload TCP");
    }
}
