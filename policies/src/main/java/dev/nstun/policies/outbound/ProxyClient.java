package dev.nstun.policies.outbound;

import java.io.IOException;
import java.nio.channels.SocketChannel;

/** A client of one proxy that connects TCP through it: {@link Socks5Client}, {@link HttpConnectClient}. */
public sealed interface ProxyClient permits Socks5Client, HttpConnectClient {
    /**
     * Connects to the proxy and has it connect to {@code destination}, blocking. Returns the channel,
     * in blocking mode, positioned at the first byte the destination sends.
     */
    SocketChannel connect(Destination destination) throws IOException;

    /**
     * Begins what {@link #connect} does without blocking, for a caller that waits on a selector: the
     * connect to the proxy, whose address the client must have (a name would need resolving), and the
     * handshake to run once it is up. Fails at once as {@link #connect} would when the connect cannot
     * begin.
     */
    StartedConnect start(Destination destination) throws IOException;
}
