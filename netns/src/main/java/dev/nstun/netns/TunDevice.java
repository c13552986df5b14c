package dev.nstun.netns;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A TUN device (IFF_TUN | IFF_NO_PI: one IP packet per read or write, no prefix), created in the
 * network namespace of the calling thread and usable from any thread afterwards. Closing it deletes
 * the device, so a namespace whose only route is this device is left with no way out.
 */
public final class TunDevice implements AutoCloseable {
    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_NO_PI = 0x1000;
    private static final int IFNAMSIZ = 16;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int EFD_NONBLOCK = 0x800;

    private static final LibC C = LibC.INSTANCE;

    private final int fd;
    private final int wakeFd;
    private final String name;
    private final int index;
    private final ByteBuffer pollFds = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
    private final ByteBuffer wakeValue = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    private volatile boolean closed;

    private TunDevice(int fd, int wakeFd, String name, int index) {
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.name = name;
        this.index = index;
        pollFds.putInt(0, fd).putShort(4, LibC.POLLIN);
        pollFds.putInt(8, wakeFd).putShort(12, LibC.POLLIN);
    }

    /** Creates device {@code name} in the calling thread's network namespace. */
    public static TunDevice create(String name) throws NativeException {
        int fd = C.open("/dev/net/tun", LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0) throw NativeException.last("open /dev/net/tun");
        ByteBuffer ifreq = ByteBuffer.allocateDirect(40).order(ByteOrder.nativeOrder());
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        if (n.length >= IFNAMSIZ) throw new IllegalArgumentException("interface name too long: " + name);
        ifreq.put(0, n).putShort(IFNAMSIZ, (short) (IFF_TUN | IFF_NO_PI));
        if (C.ioctl(fd, TUNSETIFF, ifreq) < 0) {
            NativeException e = NativeException.last("create TUN device " + name);
            C.close(fd);
            throw e;
        }
        int index = C.if_nametoindex(name);
        int wake = C.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (index <= 0 || wake < 0) {
            NativeException e = NativeException.last("set up TUN device " + name);
            C.close(fd);
            if (wake >= 0) C.close(wake);
            throw e;
        }
        return new TunDevice(fd, wake, name, index);
    }

    /** Returns the interface name. */
    public String name() {
        return name;
    }

    /** Returns the interface index in the namespace it was created in. */
    public int index() {
        return index;
    }

    // jnr passes a direct buffer's address plus its position: reads land at dst's position.

    /**
     * Reads one packet into {@code dst} at its position, advancing it. Returns the packet length,
     * 0 when none is waiting, or -1 once the device is closed.
     */
    public int read(ByteBuffer dst) throws NativeException {
        if (closed) return -1;
        int pos = dst.position();
        long n = C.read(fd, dst, dst.remaining());
        if (n < 0) {
            int errno = LibC.errno();
            if (errno == LibC.EAGAIN || errno == LibC.EINTR) return 0;
            if (closed) return -1;
            throw new NativeException("read " + name, errno);
        }
        dst.position(pos + (int) n);
        return (int) n;
    }

    /** Writes one packet: the bytes between {@code src}'s position and limit. */
    public void write(ByteBuffer src) throws NativeException {
        if (closed) return;
        long n = C.write(fd, src, src.remaining());
        if (n < 0) throw NativeException.last("write " + name);
        src.position(src.limit());
    }

    /**
     * Waits until a packet can be read, {@link #wakeUp()} is called, or the timeout passes
     * (negative: forever). Returns true when the device is readable.
     */
    public boolean awaitReadable(int timeoutMillis) throws NativeException {
        int r = C.poll(pollFds, 2, timeoutMillis);
        if (r < 0) {
            if (LibC.errno() == LibC.EINTR) return false;
            throw NativeException.last("poll " + name);
        }
        if ((pollFds.getShort(14) & LibC.POLLIN) != 0) {
            wakeValue.clear();
            C.read(wakeFd, wakeValue, 8);
        }
        return (pollFds.getShort(6) & LibC.POLLIN) != 0;
    }

    /** Makes a thread blocked in {@link #awaitReadable} return. */
    public void wakeUp() {
        ByteBuffer one = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder()).putLong(0, 1);
        C.write(wakeFd, one, 8);
    }

    /** Closes the device; the kernel deletes the interface. Call once the reader has stopped. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        C.close(fd);
        C.close(wakeFd);
    }
}
