package dev.nstun.stack.dns;

import java.io.IOException;

/**
 * Where queries the resolver does not answer itself go: the upstream resolver, directly or through
 * a proxy. The seam between deciding and transporting, so tests can stand in for the network.
 */
@FunctionalInterface
public interface DnsUpstream {
    /**
     * Sends {@code query}, a complete DNS message, and returns the upstream's complete response (no
     * TCP length prefix), blocking until it arrives; throws when there is none (timeout, refused,
     * proxy failure). Called on virtual threads, several at once; must not modify {@code query}.
     *
     * <p>It should give up within a few seconds: each call holds one of the bounded slots of
     * {@link DnsTcpServer} until it returns. And it should get the whole answer: a response with TC
     * set (an upstream reached over UDP) is worth retrying over TCP, or a client that came over TCP
     * after a truncated UDP answer only gets the truncated one again.
     */
    byte[] exchange(byte[] query) throws IOException;
}
