package dev.nstun.policies.dns;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection to a DNS upstream carrying many queries at once (RFC 7766 §6.2.1.1,
 * pipelining): each query goes out with an id no other query on the connection has, and a reader
 * thread hands each answer to the query with its id, in whatever order answers come. Opening starts
 * at once, on a virtual thread, so queries arriving meanwhile wait for the same connection instead of
 * each opening one.
 *
 * <p>When the upstream or proxy closes the connection, or it breaks, every query still waiting on it
 * fails with {@link Lost}, which its {@link TcpDnsClient} answers by trying another connection once.
 */
final class TcpDnsConnection {
    private static final Logger log = LoggerFactory.getLogger(TcpDnsConnection.class);
    /** Queries that may wait for answers on one connection; 16 bits of id leave room for far more. */
    static final int MAX_PENDING = 1024;
    /**
     * How long a connection may stay silent while a query waits before it counts as dead. A query
     * sent with little time left proves nothing when it times out.
     */
    static final long DEAD_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** The connection went away before the answer came; the query may be sent again elsewhere. */
    static final class Lost extends IOException {
        private static final long serialVersionUID = 1L;

        Lost(String message) {
            super(message);
        }
    }

    private final String upstream;
    private final CompletableFuture<SocketChannel> opened = new CompletableFuture<>();
    private final ConcurrentMap<Integer, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
    private final ReentrantLock writing = new ReentrantLock();
    /** Queries that chose this connection and have not finished; the pool balances on it. */
    private final AtomicInteger users = new AtomicInteger();
    private volatile String closedBecause;
    private volatile long lastUsed = System.nanoTime();
    private volatile long lastAnswer = System.nanoTime();

    /** Starts opening a connection with {@code opener}; {@code upstream} names it in messages. */
    TcpDnsConnection(Opener<SocketChannel> opener, String upstream) {
        this.upstream = upstream;
        Thread.ofVirtual().name("dns-tcp").start(() -> run(opener));
    }

    /**
     * Sends {@code query} and returns the answer, with the query's id, waiting until {@code deadline}
     * ({@link System#nanoTime()} time).
     *
     * @throws Lost when the connection went away first
     * @throws SocketTimeoutException when the connection or the answer did not come in time
     */
    byte[] exchange(byte[] query, long deadline) throws IOException {
        lastUsed = System.nanoTime();
        SocketChannel channel = Waiting.await(opened, deadline, "no connection to the upstream yet");
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        int wireId = register(answer);
        try {
            if (closedBecause != null) {
                throw lost();
            }
            send(channel, query, wireId);
            long sent = System.nanoTime();
            byte[] reply;
            try {
                reply = Waiting.await(answer, deadline, "no answer");
            } catch (SocketTimeoutException e) {
                long silent = System.nanoTime() - sent;
                if (lastAnswer - sent < 0 && silent >= DEAD_AFTER_NANOS) {
                    // Nothing at all came back since this query went out: the connection is likely dead
                    // (a NAT forgot it, the proxy hangs), so later queries should not queue behind it.
                    shut("answered nothing for " + silent / 1_000_000 + " ms");
                }
                throw e;
            }
            DnsMessages.setId(reply, DnsMessages.id(query));
            lastUsed = System.nanoTime();
            return reply;
        } finally {
            pending.remove(wireId, answer);
        }
    }

    /** Marks the start of a query that chose this connection. */
    void acquire() {
        users.incrementAndGet();
    }

    /** Marks the end of a query that chose this connection. */
    void release() {
        lastUsed = System.nanoTime();
        users.decrementAndGet();
    }

    /** Returns how many queries use the connection now. */
    int users() {
        return users.get();
    }

    /** Returns whether the connection has not been closed (it may still be opening). */
    boolean isOpen() {
        return closedBecause == null;
    }

    /** Returns whether no query has used the connection since {@code idleNanos} before {@code now}. */
    boolean idleLongerThan(long idleNanos, long now) {
        return users.get() == 0 && now - lastUsed > idleNanos;
    }

    /** Closes the connection for {@code why}; queries waiting on it fail with {@link Lost}. Idempotent. */
    void shut(String why) {
        synchronized (this) {
            if (closedBecause != null) {
                return;
            }
            closedBecause = why;
        }
        log.debug("DNS: TCP connection to {} closed: {}", upstream, why);
        SocketChannel channel = opened.getNow(null);
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                log.debug("DNS: closing the connection to {}: {}", upstream, e.toString());
            }
        }
        Lost lost = lost();
        pending.values().forEach(waiting -> waiting.completeExceptionally(lost));
    }

    private int register(CompletableFuture<byte[]> answer) throws IOException {
        if (pending.size() >= MAX_PENDING) {
            throw new IOException(MAX_PENDING + " queries are already waiting for answers on one connection");
        }
        while (true) {
            int id = ThreadLocalRandom.current().nextInt(1 << 16);
            if (pending.putIfAbsent(id, answer) == null) {
                return id;
            }
        }
    }

    private void send(SocketChannel channel, byte[] query, int wireId) throws Lost {
        ByteBuffer framed = ByteBuffer.allocate(2 + query.length).putShort((short) query.length).put(query);
        framed.putShort(2, (short) wireId).flip();
        writing.lock();
        try {
            while (framed.hasRemaining()) {
                channel.write(framed);
            }
        } catch (IOException e) {
            shut("broken while sending: " + e.getMessage());
            throw lost();
        } finally {
            writing.unlock();
        }
    }

    private void run(Opener<SocketChannel> opener) {
        SocketChannel channel;
        try {
            channel = opener.open();
        } catch (IOException | RuntimeException e) {
            closedBecause = "could not be opened: " + e.getMessage();
            opened.completeExceptionally(e);
            return;
        }
        lastAnswer = System.nanoTime();
        opened.complete(channel);
        log.debug("DNS: TCP connection to {} open", upstream);
        if (closedBecause != null) {
            // Shut while opening: shut() found no channel to close.
            closeQuietly(channel);
            return;
        }
        shut(readAnswers(channel));
    }

    /** Reads answers until the connection ends; returns why it ended. */
    private String readAnswers(SocketChannel channel) {
        ByteBuffer length = ByteBuffer.allocate(2);
        try {
            while (true) {
                if (!readFully(channel, length.clear())) {
                    return "the upstream or proxy closed it";
                }
                ByteBuffer message = ByteBuffer.allocate(length.getShort(0) & 0xffff);
                if (!readFully(channel, message)) {
                    return "the upstream or proxy closed it in the middle of an answer";
                }
                lastAnswer = System.nanoTime();
                byte[] bytes = message.array();
                // An answer too short to carry an id, or one to a query that gave up waiting, has no taker.
                CompletableFuture<byte[]> waiting = bytes.length < 2 ? null : pending.remove(DnsMessages.id(bytes));
                if (waiting != null) {
                    waiting.complete(bytes);
                }
            }
        } catch (IOException e) {
            return closedBecause != null ? closedBecause : "broken: " + e.getMessage();
        }
    }

    private static boolean readFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                return false;
            }
        }
        return true;
    }

    private Lost lost() {
        return new Lost("the connection to " + upstream + " ended before the answer (" + closedBecause + ")");
    }

    private void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("DNS: closing the connection to {}: {}", upstream, e.toString());
        }
    }
}
