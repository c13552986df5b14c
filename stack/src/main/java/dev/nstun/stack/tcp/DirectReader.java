package dev.nstun.stack.tcp;

import java.nio.ByteBuffer;

/**
 * Takes a connection's in-order bytes straight from the segment that carries them, before they
 * would be stored in its receive buffer: a relay writes them to its upstream socket from the
 * packet read off the TUN, with no copy into the ring and none back out of it. Offered only what
 * would be readable at once — in-order bytes with nothing stored ahead of them — so the order of
 * the stream holds; what it does not take is stored as usual and read later.
 */
@FunctionalInterface
public interface DirectReader {

    /**
     * Takes up to {@code length} bytes at absolute {@code offset} of {@code src} and returns how many
     * it took, from the first on. It may move {@code src}'s position and limit, and must put them
     * back before it returns; it must not touch the connection.
     */
    int take(ByteBuffer src, int offset, int length);
}
