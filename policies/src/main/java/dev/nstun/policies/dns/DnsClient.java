package dev.nstun.policies.dns;

import dev.nstun.policies.config.DnsSettings;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.outbound.Connectors;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;

/**
 * Sends DNS queries to the policy's upstream through the outbound that carries them
 * ({@code dns.via}) and returns the answers: one whole DNS message in, one whole message out.
 * Blocking, for virtual threads; thread-safe, many queries may be under way at once. It knows of
 * DNS only the 2-byte message id (to match answers to queries) and the 2-byte length in front of
 * each message over TCP (RFC 7766 §8); it reads nothing else and changes nothing else, so the
 * answer is the upstream's, with the query's own id.
 *
 * <p>How queries travel, by upstream and outbound:
 * <ul>
 *   <li>{@code tcp://} through any socks5, http or direct outbound: up to 3 connections kept open
 *       and reused, several queries in flight on each (each gets an id of its own on the wire, so
 *       queries from different programs that happen to share an id do not mix up answers); a
 *       connection the upstream or proxy closed is replaced, and a query it took down is sent
 *       once more on another.</li>
 *   <li>{@code udp://} through direct: a socket of its own for each query (a fresh source port),
 *       the query sent again after 1 s without an answer.</li>
 *   <li>{@code udp://} through socks5 with {@code udp: true}: one UDP association shared by all
 *       queries, reopened when the proxy ends it; sent again after 1 s likewise. A proxy that
 *       refuses UDP ASSOCIATE makes the client switch to TCP to the same server, saying so once
 *       in the log.</li>
 *   <li>{@code udp://} through http, or socks5 without {@code udp: true} (the policy loader
 *       rejects both, but a policy built otherwise may have them): TCP to the same server,
 *       said once in the log.</li>
 *   <li>reject, drop: every query fails at once with an {@link IOException} saying so.</li>
 * </ul>
 * A query without an answer within the timeout (5 s by default, all attempts together) fails with
 * a {@link java.net.SocketTimeoutException} naming the upstream and the outbound.
 */
public interface DnsClient extends Closeable {
    /** How long a query may take, all attempts together, unless the client was made with another. */
    Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    /**
     * Sends {@code query}, a whole DNS message of at least the 12-byte header, and returns the
     * upstream's answer with the same id.
     *
     * @throws IllegalArgumentException when {@code query} is shorter than a DNS header or longer than 65535 bytes
     * @throws IOException              when no answer came: the message says from where and why
     */
    byte[] exchange(byte[] query) throws IOException;

    /** Closes the connections and sockets kept open; queries under way and later fail. */
    @Override
    void close();

    /** Returns a client for the upstream of {@code policy} through its DNS outbound ({@link Policy#dnsOutbound()}). */
    static DnsClient of(Policy policy, Connectors connectors) {
        return of(policy.dns().upstream(), policy.dnsOutbound(), connectors, DEFAULT_TIMEOUT);
    }

    /** Returns a client for {@code upstream} through {@code via}, whose queries may take {@code timeout} each. */
    static DnsClient of(DnsSettings.Upstream upstream, Outbound via, Connectors connectors, Duration timeout) {
        return DnsTransports.create(upstream, via, connectors, timeout);
    }
}
