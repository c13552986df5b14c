package dev.nstun.policies.dns;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS over TCP (RFC 7766) through an outbound, with a small pool of pipelined connections: a query
 * takes the connection with the fewest queries under way, and a new connection is opened only when
 * every one has {@link #PIPELINE_DEPTH} queries or more and the pool is below
 * {@link #MAX_CONNECTIONS}. Through a proxy each connection costs a handshake, and many upstreams
 * limit connections per client, so few connections carrying many queries serve best.
 *
 * <p>A connection unused for {@link #IDLE_NANOS} is closed when next looked at (RFC 7766 §6.2.3
 * asks clients to close idle connections, and servers close theirs anyway, often sooner; one closed
 * while a query was on it is replaced and the query sent once more).
 */
final class TcpDnsClient implements DnsClient {
    private static final Logger log = LoggerFactory.getLogger(TcpDnsClient.class);
    /** The most connections open to the upstream at once. */
    static final int MAX_CONNECTIONS = 3;
    /** Queries under way on a connection before another one is opened. */
    static final int PIPELINE_DEPTH = 8;
    /** How long a connection may go unused before it is closed. */
    static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final Opener<SocketChannel> opener;
    private final String upstream;
    private final Duration timeout;
    private final List<TcpDnsConnection> pool = new ArrayList<>();
    private boolean closed;

    /**
     * @param opener   connects to the upstream through the outbound
     * @param upstream names the upstream and outbound in messages: {@code tcp://9.9.9.9:53 (via outbound corp)}
     * @param timeout  how long a query may take, a second attempt included
     */
    TcpDnsClient(Opener<SocketChannel> opener, String upstream, Duration timeout) {
        this.opener = opener;
        this.upstream = upstream;
        this.timeout = timeout;
    }

    @Override
    public byte[] exchange(byte[] query) throws IOException {
        DnsMessages.checkQuery(query);
        long deadline = System.nanoTime() + timeout.toNanos();
        TcpDnsConnection.Lost firstLoss = null;
        while (true) {
            TcpDnsConnection connection = pick();
            try {
                return connection.exchange(query, deadline);
            } catch (TcpDnsConnection.Lost e) {
                if (firstLoss != null) {
                    throw new IOException("DNS upstream " + upstream + ": the connection ended before the answer, twice (" + e.getMessage()
                            + ")", e);
                }
                log.debug("DNS: {}; sending the query again on another connection", e.getMessage());
                firstLoss = e;
            } catch (SocketTimeoutException e) {
                SocketTimeoutException timedOut = new SocketTimeoutException("DNS upstream " + upstream + " did not answer within "
                        + Waiting.format(timeout) + " (" + e.getMessage() + ")");
                timedOut.initCause(e);
                throw timedOut;
            } catch (IOException e) {
                throw new IOException("DNS upstream " + upstream + ": " + e.getMessage(), e);
            } finally {
                connection.release();
            }
        }
    }

    @Override
    public void close() {
        List<TcpDnsConnection> open;
        synchronized (this) {
            closed = true;
            open = List.copyOf(pool);
            pool.clear();
        }
        open.forEach(c -> c.shut("the DNS client was closed"));
    }

    /** Returns the connection the next query should use, opening one if need be; acquired for the caller. */
    private synchronized TcpDnsConnection pick() throws IOException {
        if (closed) {
            throw new IOException("DNS upstream " + upstream + ": the DNS client is closed");
        }
        long now = System.nanoTime();
        TcpDnsConnection best = null;
        for (Iterator<TcpDnsConnection> it = pool.iterator(); it.hasNext(); ) {
            TcpDnsConnection c = it.next();
            if (c.isOpen() && c.idleLongerThan(IDLE_NANOS, now)) {
                c.shut("idle for more than " + TimeUnit.NANOSECONDS.toSeconds(IDLE_NANOS) + " s");
            }
            if (!c.isOpen()) {
                it.remove();
            } else if (best == null || c.users() < best.users()) {
                best = c;
            }
        }
        if (best == null || best.users() >= PIPELINE_DEPTH && pool.size() < MAX_CONNECTIONS) {
            best = new TcpDnsConnection(opener, upstream);
            pool.add(best);
        }
        best.acquire();
        return best;
    }

    @Override
    public String toString() {
        return "DNS over TCP to " + upstream;
    }
}
