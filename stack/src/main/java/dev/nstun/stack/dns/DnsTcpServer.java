package dev.nstun.stack.dns;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS over TCP (RFC 1035 §4.2.2, RFC 7766) for the command's TCP connections to the resolver's port
 * 53: the stack terminates such a connection and relays its bytes to a channel from
 * {@link #connect()}, and this server answers the length-prefixed queries on it with the
 * {@link DnsResolver}, forwarding to the {@link DnsUpstream} what the resolver does not answer.
 *
 * <p>It listens on a UNIX domain socket in a new directory only its owner may enter, so nothing but
 * nstun reaches it, and it needs no port. Each connection may pipeline queries: local answers go
 * out at once, forwarded ones when the upstream replies, so answers may come out of order, as RFC
 * 7766 §6.2.1.1 allows (the ID pairs them).
 *
 * <p>Memory stays bounded: at most {@link #MAX_CONNECTIONS} connections (more are closed on
 * accept), messages of at most 65535 bytes, at most {@value #MAX_PIPELINED} forwarded queries
 * in flight per connection and {@value #MAX_FORWARDED} in all (a connection past either stops
 * being read until one completes), and a connection with nothing read or written for
 * {@link #IDLE_TIMEOUT} is closed (RFC 7766 §6.2.3). A frame the resolver drops (shorter than a
 * header, or a response) closes its connection: the stream gives no way to resynchronise.
 *
 * <p>The idle timeout is the one place this package waits on the clock; it is I/O glue, outside the
 * clock-free decision core ({@link DnsResolver}).
 */
public final class DnsTcpServer implements Closeable {
    /** Most connections open at once. */
    public static final int MAX_CONNECTIONS = 256;
    /** How long a connection may stay without a byte read or written before it is closed. */
    public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);
    /** Most forwarded queries in flight on one connection. */
    static final int MAX_PIPELINED = 16;
    /** Most forwarded queries in flight on all connections. */
    static final int MAX_FORWARDED = 256;
    /** Ticks of the idle watchdog per idle timeout: a connection closes after 9 to 10 of them. */
    static final int IDLE_TICKS = 10;

    private static final Logger log = LoggerFactory.getLogger(DnsTcpServer.class);

    private final DnsResolver resolver;
    private final DnsUpstream upstream;
    private final ExecutorService executor;
    private final Path directory;
    private final Path socket;
    private final ServerSocketChannel server;
    private final int maxConnections;
    private final Duration tick;
    private final Set<DnsTcpConnection> connections = ConcurrentHashMap.newKeySet();
    private final Semaphore forwarded = new Semaphore(MAX_FORWARDED);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch closing = new CountDownLatch(1);

    private DnsTcpServer(DnsResolver resolver, DnsUpstream upstream, ExecutorService executor, Path directory, Path socket,
                         ServerSocketChannel server, Duration idleTimeout, int maxConnections) {
        this.resolver = resolver;
        this.upstream = upstream;
        this.executor = executor;
        this.directory = directory;
        this.socket = socket;
        this.server = server;
        this.maxConnections = maxConnections;
        // In nanoseconds: Duration.dividedBy goes through BigDecimal, whose classes cost a cold start milliseconds.
        this.tick = Duration.ofNanos(idleTimeout.toNanos() / IDLE_TICKS);
    }

    /**
     * Starts a server answering with {@code resolver} and forwarding to {@code upstream}; it accepts,
     * serves connections and calls the upstream on tasks of {@code executor}, which should start a
     * virtual thread per task (it blocks on I/O) and stays the caller's to shut down.
     */
    public static DnsTcpServer start(DnsResolver resolver, DnsUpstream upstream, ExecutorService executor) throws IOException {
        return start(resolver, upstream, executor, null, IDLE_TIMEOUT, MAX_CONNECTIONS);
    }

    /**
     * Like {@link #start(DnsResolver, DnsUpstream, ExecutorService)}, the socket in {@code directory}
     * (made, mode 0700, and removed on close), or in a new temporary directory when it is null.
     * A caller that can be killed gives a directory its next start cleans up.
     */
    public static DnsTcpServer start(DnsResolver resolver, DnsUpstream upstream, ExecutorService executor, Path directory) throws IOException {
        return start(resolver, upstream, executor, directory, IDLE_TIMEOUT, MAX_CONNECTIONS);
    }

    /** Like {@link #start(DnsResolver, DnsUpstream, ExecutorService)} with other limits, for tests. */
    static DnsTcpServer start(DnsResolver resolver, DnsUpstream upstream, ExecutorService executor, Duration idleTimeout,
                              int maxConnections) throws IOException {
        return start(resolver, upstream, executor, null, idleTimeout, maxConnections);
    }

    private static DnsTcpServer start(DnsResolver resolver, DnsUpstream upstream, ExecutorService executor, Path given,
                                      Duration idleTimeout, int maxConnections) throws IOException {
        java.nio.file.attribute.FileAttribute<?> privateDir = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
        Path directory = given == null ? Files.createTempDirectory("nstun-dns-", privateDir) : Files.createDirectories(given, privateDir);
        Path socket = directory.resolve("dns.sock");
        // Should the JVM end without close() (SIGTERM), its shutdown still removes both, socket first:
        // deleteOnExit works in the reverse order of registration.
        directory.toFile().deleteOnExit();
        socket.toFile().deleteOnExit();
        ServerSocketChannel server = null;
        try {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            if (server != null) server.close();
            Files.deleteIfExists(socket);
            Files.deleteIfExists(directory);
            throw e;
        }
        DnsTcpServer s = new DnsTcpServer(resolver, upstream, executor, directory, socket, server, idleTimeout, maxConnections);
        try {
            executor.execute(s::acceptLoop);
            executor.execute(s::watchIdle);
        } catch (RejectedExecutionException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** Opens a new blocking client connection to this server; the caller owns the channel. */
    public SocketChannel connect() throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(socket));
    }

    /** Returns the path of the server's socket. */
    public Path socketPath() {
        return socket;
    }

    /** Returns the number of connections being served. */
    public int connectionCount() {
        return connections.size();
    }

    /** Stops accepting, closes every connection, and deletes the socket and its directory. Idempotent. */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) return;
        closing.countDown();
        server.close();
        for (DnsTcpConnection c : connections) c.close();
        Files.deleteIfExists(socket);
        Files.deleteIfExists(directory);
    }

    private void acceptLoop() {
        while (!closed.get()) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                if (!closed.get()) log.warn("DNS over TCP stops accepting: {}", e.toString());
                return;
            }
            if (connections.size() >= maxConnections) {
                log.debug("DNS over TCP: {} connections already, closing a new one", connections.size());
                closeQuietly(channel);
                continue;
            }
            DnsTcpConnection connection = new DnsTcpConnection(channel, this);
            connections.add(connection);
            // close() may have run between the check above and the add: it would have missed this one.
            if (closed.get()) {
                connection.close();
                return;
            }
            try {
                executor.execute(connection::serve);
            } catch (RejectedExecutionException e) {
                connection.close();
            }
        }
    }

    /** Closes connections idle for {@link #IDLE_TICKS} ticks, until the server closes. */
    private void watchIdle() {
        try {
            while (!closing.await(tick.toNanos(), TimeUnit.NANOSECONDS)) {
                for (DnsTcpConnection c : connections) c.tick(IDLE_TICKS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    DnsResolver resolver() {
        return resolver;
    }

    DnsUpstream upstream() {
        return upstream;
    }

    ExecutorService executor() {
        return executor;
    }

    Semaphore forwarded() {
        return forwarded;
    }

    void closed(DnsTcpConnection connection) {
        connections.remove(connection);
    }

    static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // Nothing more to do with a channel we are done with.
        }
    }
}
