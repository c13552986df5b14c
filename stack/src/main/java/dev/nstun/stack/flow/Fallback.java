package dev.nstun.stack.flow;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/**
 * Where a connect begun on the loop goes next when it fails before its handshake ({@link
 * PendingConnect#fallback}): the next address of a proxy's name, as a blocking connect tries them in
 * turn. The handshake and the failure's wording are the pending connect's own, whichever channel
 * carries them.
 */
@FunctionalInterface
public interface Fallback {
    /**
     * Begins the next connect after {@code failure}: its channel, non-blocking, its connect started;
     * empty when none is left, and the flow then fails with {@code failure}. A connect that cannot
     * even begin is thrown, and the flow fails with that.
     */
    Optional<SocketChannel> begin(IOException failure) throws IOException;
}
