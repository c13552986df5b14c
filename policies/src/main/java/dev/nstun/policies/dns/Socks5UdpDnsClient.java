package dev.nstun.policies.dns;

import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.outbound.Connectors;
import dev.nstun.policies.outbound.Destination;
import dev.nstun.policies.outbound.OutboundException;
import dev.nstun.policies.outbound.Socks5UdpAssociation;
import dev.nstun.policies.outbound.Socks5UdpFlow;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS over UDP through a socks5 outbound with {@code udp: true}: one UDP association carries every
 * query (each with an id of its own on the wire, so answers are matched however they interleave),
 * and a reader thread hands answers out. The association is opened at the first query and again
 * after the proxy ends it. A query without an answer after 1 s is sent once more.
 *
 * <p>When the proxy refuses UDP ASSOCIATE ({@link Connectors#associate} then says
 * {@link OutboundException.Kind#UNSUPPORTED}, now and later), queries go over TCP to the same
 * server through the same outbound from then on, said once in the log.
 */
final class Socks5UdpDnsClient implements DnsClient {
    private static final Logger log = LoggerFactory.getLogger(Socks5UdpDnsClient.class);

    private final Outbound.Socks5 outbound;
    private final Connectors connectors;
    private final Destination server;
    private final String upstream;
    private final Duration timeout;
    private final Duration resend;
    private final DnsClient overTcp;
    private final ConcurrentMap<Integer, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
    private final ReentrantLock sending = new ReentrantLock();
    private Socks5UdpAssociation association;
    private boolean closed;
    private volatile boolean tcpOnly;

    /**
     * @param server  the upstream, sent to the proxy by name when it is one
     * @param overTcp the client to fall back on, to the same server through the same outbound
     */
    Socks5UdpDnsClient(Outbound.Socks5 outbound, Connectors connectors, Destination server, String upstream, Duration timeout,
                       DnsClient overTcp) {
        this.outbound = outbound;
        this.connectors = connectors;
        this.server = server;
        this.upstream = upstream;
        this.timeout = timeout;
        this.resend = UdpDnsClient.resendAfter(timeout);
        this.overTcp = overTcp;
    }

    @Override
    public byte[] exchange(byte[] query) throws IOException {
        DnsMessages.checkQuery(query);
        if (!tcpOnly) {
            byte[] answer = overUdp(query);
            if (answer != null) {
                return answer;
            }
        }
        return overTcp.exchange(query);
    }

    @Override
    public void close() {
        sending.lock();
        try {
            closed = true;
            closeAssociation();
        } finally {
            sending.unlock();
        }
        overTcp.close();
    }

    /** Returns the answer, or null when the proxy turned out not to support UDP ASSOCIATE. */
    private byte[] overUdp(byte[] query) throws IOException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        int wireId = register(answer);
        byte[] wire = DnsMessages.withId(query, wireId);
        try {
            send(wire, deadline);
            byte[] reply;
            try {
                reply = Waiting.await(answer, Math.min(deadline, start + resend.toNanos()), "no answer");
            } catch (SocketTimeoutException e) {
                send(wire, deadline);
                reply = Waiting.await(answer, deadline, "no answer");
            }
            DnsMessages.setId(reply, DnsMessages.id(query));
            return reply;
        } catch (OutboundException e) {
            if (e.kind() != OutboundException.Kind.UNSUPPORTED) {
                throw new IOException("DNS upstream " + upstream + ": " + e.getMessage(), e);
            }
            if (!tcpOnly) {
                tcpOnly = true;
                log.info("DNS upstream {}: {}, so queries go over TCP to the same server", upstream, e.getMessage());
            }
            return null;
        } catch (SocketTimeoutException e) {
            SocketTimeoutException timedOut = new SocketTimeoutException("DNS upstream " + upstream + " did not answer within "
                    + Waiting.format(timeout));
            timedOut.initCause(e);
            throw timedOut;
        } catch (IOException e) {
            throw new IOException("DNS upstream " + upstream + ": " + e.getMessage(), e);
        } finally {
            pending.remove(wireId, answer);
        }
    }

    private int register(CompletableFuture<byte[]> answer) throws IOException {
        if (pending.size() >= TcpDnsConnection.MAX_PENDING) {
            throw new IOException("DNS upstream " + upstream + ": " + TcpDnsConnection.MAX_PENDING + " queries are already waiting"
                    + " for answers");
        }
        while (true) {
            int id = ThreadLocalRandom.current().nextInt(1 << 16);
            if (pending.putIfAbsent(id, answer) == null) {
                return id;
            }
        }
    }

    /** Sends {@code wire} through the association, opening one when there is none; once more on a new one if sending fails. */
    private void send(byte[] wire, long deadline) throws IOException {
        sending.lock();
        try {
            for (int attempt = 0; ; attempt++) {
                if (closed) {
                    throw new IOException("the DNS client is closed");
                }
                if (association == null || !association.isOpen()) {
                    association = open(deadline);
                }
                try {
                    association.send(ByteBuffer.wrap(wire), server);
                    return;
                } catch (IOException e) {
                    // The relay went away with the association (port unreachable, closed): try a new one, once.
                    closeAssociation();
                    if (attempt > 0) {
                        throw e;
                    }
                }
            }
        } finally {
            sending.unlock();
        }
    }

    private Socks5UdpAssociation open(long deadline) throws IOException {
        Duration left = Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
        Socks5UdpAssociation opened = connectors.associate(outbound, left);
        log.debug("DNS: {} open for {}", opened, upstream);
        Thread.ofVirtual().name("dns-udp-answers").start(() -> readAnswers(opened));
        Thread.ofVirtual().name("dns-udp-control").start(() -> watchControl(opened));
        return opened;
    }

    /** Hands each answer from the upstream to the query with its id, until the association closes. */
    private void readAnswers(Socks5UdpAssociation from) {
        ByteBuffer buffer = ByteBuffer.allocate(DnsMessages.MAX_BYTES);
        try {
            while (true) {
                Destination source = from.receive(buffer.clear());
                // Datagrams from elsewhere, or too short to carry an id, answer nothing asked.
                if (source == null || !Socks5UdpFlow.isFrom(source, server) || buffer.position() < 2) {
                    continue;
                }
                byte[] bytes = Arrays.copyOf(buffer.array(), buffer.position());
                CompletableFuture<byte[]> waiting = pending.remove(DnsMessages.id(bytes));
                if (waiting != null) {
                    waiting.complete(bytes);
                }
            }
        } catch (IOException e) {
            log.debug("DNS: {} ended: {}", from, e.toString());
            closeQuietly(from);
        }
    }

    /** Closes the association when the proxy closes its control connection, which ends it (RFC 1928 §7). */
    private void watchControl(Socks5UdpAssociation association) {
        ByteBuffer buffer = ByteBuffer.allocate(64);
        try {
            while (association.control().read(buffer.clear()) >= 0) {
                // Bytes on the control connection mean nothing in RFC 1928; only its end matters.
            }
            log.debug("DNS: the proxy ended {}", association);
        } catch (IOException e) {
            log.debug("DNS: control connection of {}: {}", association, e.toString());
        }
        closeQuietly(association);
    }

    private void closeAssociation() {
        if (association != null) {
            closeQuietly(association);
            association = null;
        }
    }

    private static void closeQuietly(Socks5UdpAssociation association) {
        try {
            association.close();
        } catch (IOException e) {
            log.debug("DNS: closing {}: {}", association, e.toString());
        }
    }

    @Override
    public String toString() {
        return "DNS over UDP to " + upstream;
    }
}
