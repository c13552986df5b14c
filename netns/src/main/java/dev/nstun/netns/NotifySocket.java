package dev.nstun.netns;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * systemd's readiness protocol (sd_notify(3)): one datagram of {@code KEY=VALUE} lines to the unix
 * socket named by {@code $NOTIFY_SOCKET} (a path, or with '@' first an abstract name). The JDK has
 * no unix datagram sockets (its {@code DatagramChannel} takes inet addresses only), hence libc.
 * {@link #send} is the service's side; {@link #bind} and {@link #receive} the side that waits for it,
 * as {@code nstun up --background} waits for the nstun it started.
 */
public final class NotifySocket implements AutoCloseable {
    /** The environment variable that names the socket. */
    public static final String VARIABLE = "NOTIFY_SOCKET";
    /** sizeof(struct sockaddr_un): the family, then up to 108 bytes of path. */
    private static final int SOCKADDR_UN = 110;
    private static final int MAX_DATAGRAM = 4096;

    private final int fd;
    private final String name;

    private NotifySocket(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /** Sends {@code state} ("READY=1", …) to the socket {@code socket} names; false when it cannot (no error: readiness is a courtesy). */
    public static boolean send(String socket, String state) {
        ByteBuffer address;
        try {
            address = address(socket);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int fd = LibC.INSTANCE.socket(LibC.AF_UNIX, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) return false;
        try {
            byte[] bytes = state.getBytes(StandardCharsets.UTF_8);
            ByteBuffer datagram = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
            return LibC.INSTANCE.sendto(fd, datagram, bytes.length, 0, address, address.limit()) == bytes.length;
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }

    /**
     * Makes a socket named {@code name} to {@link #receive} notices on: a path that must not exist,
     * or '@' and an abstract name (of this network namespace; nothing on disk, gone with its last fd).
     */
    public static NotifySocket bind(String name) throws IOException {
        ByteBuffer address = address(name);
        int fd = LibC.INSTANCE.socket(LibC.AF_UNIX, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) throw NativeException.last("make a unix datagram socket");
        if (LibC.INSTANCE.bind(fd, address, address.limit()) != 0) {
            NativeException e = NativeException.last("bind " + name);
            LibC.INSTANCE.close(fd);
            throw e;
        }
        return new NotifySocket(fd, name);
    }

    /** Waits at most {@code timeoutMillis} for a notice; returns it, or empty when none came. */
    public Optional<String> receive(int timeoutMillis) throws NativeException {
        ByteBuffer poll = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        poll.putInt(0, fd).putShort(4, LibC.POLLIN);
        int ready = LibC.INSTANCE.poll(poll, 1, timeoutMillis);
        if (ready < 0 && LibC.errno() != LibC.EINTR) throw NativeException.last("wait on " + name);
        if (ready <= 0) return Optional.empty();
        ByteBuffer datagram = ByteBuffer.allocateDirect(MAX_DATAGRAM);
        long n = LibC.INSTANCE.recv(fd, datagram, MAX_DATAGRAM, LibC.MSG_DONTWAIT);
        if (n < 0) return Optional.empty();
        byte[] bytes = new byte[(int) n];
        datagram.get(0, bytes);
        return Optional.of(new String(bytes, StandardCharsets.UTF_8));
    }

    /** Closes the socket and removes its file, if it has one. */
    @Override
    public void close() {
        LibC.INSTANCE.close(fd);
        if (name.startsWith("@")) return;
        try {
            Files.deleteIfExists(Path.of(name));
        } catch (IOException e) {
            // a socket file in the caller's directory: it goes with it
        }
    }

    /** Returns a struct sockaddr_un for {@code name} (a path, or '@' and an abstract name), its limit the address's length. */
    static ByteBuffer address(String name) {
        boolean isAbstract = name.startsWith("@");
        byte[] path = (isAbstract ? name.substring(1) : name).getBytes(StandardCharsets.UTF_8);
        if (name.isEmpty() || path.length + 1 > SOCKADDR_UN - 2) throw new IllegalArgumentException("not a socket name: " + name);
        ByteBuffer a = ByteBuffer.allocateDirect(SOCKADDR_UN).order(ByteOrder.nativeOrder());
        a.putShort((short) LibC.AF_UNIX);
        if (isAbstract) a.put((byte) 0);
        a.put(path);
        if (!isAbstract) a.put((byte) 0);
        return a.flip();
    }
}
