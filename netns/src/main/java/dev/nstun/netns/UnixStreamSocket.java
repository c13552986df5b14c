package dev.nstun.netns;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A UNIX stream socket made through libc: one that listens at a path, and the connections it
 * accepts. The server side of a run's control socket: the JDK's own (a {@code ServerSocketChannel}
 * bound to a {@code UnixDomainSocketAddress}) makes, at its first use, a {@code SecureRandom} for
 * the names of sockets bound to none ({@code sun.nio.ch.UnixDomainSockets}), and with it initialises
 * the JDK's security providers: about 20 ms of a run's CPU at every start (issue 11). Clients may be
 * the JDK's: a stream is a stream.
 *
 * <p>When a listening socket is closed while another thread waits in {@link #accept}, {@link #close}
 * shuts it down, which ends that wait, and the descriptor is released by whichever of the two comes
 * last, so that no call is ever made on a descriptor number the process may have reused.
 */
public final class UnixStreamSocket implements Closeable {
    /** sizeof(struct timeval): seconds and microseconds, two longs. */
    private static final int TIMEVAL = 16;

    private final int fd;
    private final String name;
    private final Object lock = new Object();
    private boolean accepting;
    private boolean closed;

    private UnixStreamSocket(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /** Listens at {@code path}, which must not exist; the socket file is made as the umask says. */
    public static UnixStreamSocket listen(Path path, int backlog) throws NativeException {
        ByteBuffer address = NotifySocket.address(path.toString());
        int fd = LibC.INSTANCE.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) throw NativeException.last("make a unix stream socket");
        if (LibC.INSTANCE.bind(fd, address, address.limit()) != 0 || LibC.INSTANCE.listen(fd, backlog) != 0) {
            NativeException e = NativeException.last("listen at " + path);
            LibC.INSTANCE.close(fd);
            throw e;
        }
        return new UnixStreamSocket(fd, path.toString());
    }

    /**
     * Waits for a connection; returns it, its reads and writes each given up after {@code timeout},
     * or empty once this socket is closed.
     */
    public Optional<UnixStreamSocket> accept(Duration timeout) throws NativeException {
        synchronized (lock) {
            if (closed) return Optional.empty();
            accepting = true;
        }
        int client;
        int errno;
        do {
            client = LibC.INSTANCE.accept4(fd, LibC.SOCK_CLOEXEC);
            errno = client < 0 ? LibC.errno() : 0;
        } while (client < 0 && errno == LibC.EINTR);
        synchronized (lock) {
            accepting = false;
            if (closed) {
                if (client >= 0) LibC.INSTANCE.close(client);
                LibC.INSTANCE.close(fd);
                return Optional.empty();
            }
        }
        if (client < 0) throw new NativeException("accept on " + name, errno);
        UnixStreamSocket connection = new UnixStreamSocket(client, name);
        try {
            connection.limit(LibC.SO_RCVTIMEO, timeout);
            connection.limit(LibC.SO_SNDTIMEO, timeout);
        } catch (NativeException e) {
            connection.close();
            throw e;
        }
        return Optional.of(connection);
    }

    /** Reads into {@code buf} (direct, with room) from its position, which it advances; returns how many bytes came, or -1 at the end of the stream. */
    public int read(ByteBuffer buf) throws NativeException {
        while (true) {
            long n = LibC.INSTANCE.read(fd, buf, buf.remaining());
            if (n >= 0) {
                buf.position(buf.position() + (int) n);
                return n == 0 ? -1 : (int) n;
            }
            if (LibC.errno() != LibC.EINTR) throw NativeException.last("read from " + name);
        }
    }

    /** Writes all of {@code buf} (direct), from its position, which it advances. */
    public void write(ByteBuffer buf) throws NativeException {
        while (buf.hasRemaining()) {
            long n = LibC.INSTANCE.write(fd, buf, buf.remaining());
            if (n < 0 && LibC.errno() != LibC.EINTR) throw NativeException.last("write to " + name);
            if (n > 0) buf.position(buf.position() + (int) n);
        }
    }

    /** Closes the socket (a listening one: see the class's note); once only takes effect. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) return;
            closed = true;
            if (accepting) {
                LibC.INSTANCE.shutdown(fd, LibC.SHUT_RDWR);
                return;
            }
        }
        LibC.INSTANCE.close(fd);
    }

    private void limit(int option, Duration timeout) throws NativeException {
        ByteBuffer timeval = ByteBuffer.allocateDirect(TIMEVAL).order(ByteOrder.nativeOrder());
        timeval.putLong(0, timeout.toSeconds()).putLong(8, timeout.toNanosPart() / 1000);
        if (LibC.INSTANCE.setsockopt(fd, LibC.SOL_SOCKET, option, timeval, TIMEVAL) != 0) throw NativeException.last("limit waits on " + name);
    }
}
