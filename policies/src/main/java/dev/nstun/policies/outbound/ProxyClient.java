package dev.nstun.policies.outbound;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/** A client of one proxy that connects TCP through it: {@link Socks5Client}, {@link HttpConnectClient}. */
public sealed interface ProxyClient permits Socks5Client, HttpConnectClient {
    /**
     * Connects to the proxy and has it connect to {@code destination}, blocking. Returns the channel,
     * in blocking mode, positioned at the first byte the destination sends.
     */
    SocketChannel connect(Destination destination) throws IOException;

    /**
     * Begins what {@link #connect} does without blocking, for a caller that waits on a selector: the
     * connect to the proxy and the handshake to run once it is up. Empty when the proxy is named by
     * a name not resolved lately ({@link ProxyAddresses#known}): resolving it might block. Fails at
     * once as {@link #connect} would when the connect cannot begin.
     */
    Optional<StartedConnect> start(Destination destination) throws IOException;
}
