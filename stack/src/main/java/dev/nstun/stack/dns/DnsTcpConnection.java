package dev.nstun.stack.dns;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of a {@link DnsTcpServer}: a reader that answers or forwards each
 * length-prefixed query in turn, and a task per forwarded query that writes its answer when the
 * upstream replies. Writes share one lock, so two answers never interleave on the stream.
 */
final class DnsTcpConnection {
    private static final Logger log = LoggerFactory.getLogger(DnsTcpConnection.class);
    private static final int PREFIX = 2;

    private final SocketChannel channel;
    private final DnsTcpServer server;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Semaphore pipelined = new Semaphore(DnsTcpServer.MAX_PIPELINED);
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set on every read and write, cleared by the watchdog's tick. */
    private volatile boolean active = true;
    /** Ticks without activity; only the watchdog touches it. */
    private int idleTicks;

    DnsTcpConnection(SocketChannel channel, DnsTcpServer server) {
        this.channel = channel;
        this.server = server;
    }

    /** Reads and handles queries until the client closes its side, then closes once answers are out. */
    void serve() {
        ByteBuffer prefix = ByteBuffer.allocate(PREFIX);
        ByteBuffer local = ByteBuffer.allocate(PREFIX + DnsResolver.MAX_LOCAL_RESPONSE);
        try {
            while (readFully(prefix.clear())) {
                ByteBuffer query = ByteBuffer.allocate(prefix.getShort(0) & 0xffff);
                if (query.capacity() > 0 && !readFully(query)) throw new EOFException("end of stream inside a message");
                local.clear().position(PREFIX);
                switch (server.resolver().handle(query, 0, query.capacity(), local)) {
                    case ANSWERED -> send(local);
                    case FORWARD -> forward(query);
                    case DROP -> {
                        log.debug("DNS over TCP: closing a connection after a message of {} bytes we cannot answer", query.capacity());
                        return;
                    }
                }
            }
            // The client has sent all it will: let the forwarded queries answer, then close.
            pipelined.acquire(DnsTcpServer.MAX_PIPELINED);
        } catch (IOException e) {
            if (!closed.get()) log.debug("DNS over TCP connection ends: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            close();
        }
    }

    /** Hands a query to the upstream on its own task, after waiting for room in both limits. */
    private void forward(ByteBuffer query) throws InterruptedException {
        pipelined.acquire();
        try {
            server.forwarded().acquire();
        } catch (InterruptedException e) {
            pipelined.release();
            throw e;
        }
        try {
            server.executor().execute(() -> {
                try {
                    exchange(query);
                } finally {
                    server.forwarded().release();
                    pipelined.release();
                }
            });
        } catch (RejectedExecutionException e) {
            server.forwarded().release();
            pipelined.release();
            close();
        }
    }

    private void exchange(ByteBuffer query) {
        byte[] response;
        try {
            response = server.upstream().exchange(query.array());
        } catch (IOException | RuntimeException e) {
            log.debug("DNS upstream failed, answering SERVFAIL: {}", e.toString());
            response = null;
        }
        int room = response == null ? DnsResolver.MAX_LOCAL_RESPONSE
                : Math.max(DnsResolver.MAX_LOCAL_RESPONSE, Math.min(response.length, DnsResolver.MAX_TCP_RESPONSE));
        ByteBuffer out = ByteBuffer.allocate(PREFIX + room).position(PREFIX);
        if (!DnsResolver.writeForwardedResponse(query, 0, query.capacity(), response, DnsResolver.MAX_TCP_RESPONSE, out)) return;
        try {
            send(out);
        } catch (IOException e) {
            if (!closed.get()) log.debug("DNS over TCP connection ends: {}", e.toString());
            close();
        }
    }

    /** Writes the response in {@code [PREFIX, position)} of {@code frame} with its length prefix. */
    private void send(ByteBuffer frame) throws IOException {
        frame.putShort(0, (short) (frame.position() - PREFIX)).flip();
        writeLock.lock();
        try {
            while (frame.hasRemaining()) channel.write(frame);
            active = true;
        } finally {
            writeLock.unlock();
        }
    }

    /** Fills {@code buf}; returns false at a clean end of stream before its first byte. */
    private boolean readFully(ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (channel.read(buf) < 0) {
                if (buf.position() == 0) return false;
                throw new EOFException("end of stream inside a message");
            }
            active = true;
        }
        return true;
    }

    /** One watchdog tick: closes the connection after {@code limit} ticks in a row without activity. */
    void tick(int limit) {
        if (active) {
            active = false;
            idleTicks = 0;
        } else if (++idleTicks >= limit) {
            log.debug("DNS over TCP: closing an idle connection");
            close();
        }
    }

    /** Closes the channel (waking a blocked read or write) and leaves the server's table. Idempotent. */
    void close() {
        if (!closed.compareAndSet(false, true)) return;
        DnsTcpServer.closeQuietly(channel);
        server.closed(this);
    }
}
