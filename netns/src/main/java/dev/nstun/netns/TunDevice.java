package dev.nstun.netns;

import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;

/**
 * A TUN device (IFF_TUN | IFF_NO_PI | IFF_VNET_HDR), created in the network namespace of the calling
 * thread and usable from any thread afterwards. Closing it deletes the device, so a namespace whose
 * only route is this device is left with no way out.
 *
 * <p>Every packet crosses the fd behind a 10-byte {@code struct virtio_net_hdr} (linux/virtio_net.h),
 * which this class reads and writes with readv/writev so the packet itself lands in, and leaves from,
 * the caller's buffer without a copy. The header carries checksum offload: until
 * {@link #offload(int)} is called the kernel completes every checksum itself and the header is all
 * zeros both ways; after {@code offload(TUN_F_CSUM | ...)} the kernel may hand over packets whose
 * transport checksum it left unfinished ({@link #receivedChecksumStart()}), TCP segments of up to
 * 64 KiB (with TSO), and takes ours the same way ({@link #write(ByteBuffer, int, int)},
 * {@link #writeTcp}, whose payload leaves from wherever the caller keeps it). gVisor's
 * fdbased endpoint and QEMU's tap backend use the fd the same way.
 */
public final class TunDevice implements AutoCloseable {
    private static final long TUNSETIFF = 0x400454caL;
    /** _IOW('T', 203, int): the device outlives its last close (1) or not (0). */
    private static final long TUNSETPERSIST = 0x400454cbL;
    /** _IOW('T', 208, unsigned int): takes the TUN_F_ bits as the argument's value. */
    private static final long TUNSETOFFLOAD = 0x400454d0L;
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_NO_PI = 0x1000;
    private static final short IFF_VNET_HDR = 0x4000;
    private static final int IFNAMSIZ = 16;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int EFD_NONBLOCK = 0x800;

    /** Offload bit: the kernel may hand over packets with a partial checksum, and takes ours so. */
    public static final int TUN_F_CSUM = 0x01;
    /** Offload bit: the kernel may hand over IPv4 TCP segments larger than the MTU (needs {@link #TUN_F_CSUM}). */
    public static final int TUN_F_TSO4 = 0x02;
    /** Offload bit: the kernel may hand over IPv6 TCP segments larger than the MTU (needs {@link #TUN_F_CSUM}). */
    public static final int TUN_F_TSO6 = 0x04;

    /** Length of the struct virtio_net_hdr in front of every packet. */
    static final int VNET_HDR_LENGTH = 10;
    /** virtio_net_hdr flag: the checksum at csum_start + csum_offset holds the pseudo-header sum only. */
    private static final int VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
    private static final int HDR_FLAGS = 0;
    private static final int HDR_GSO_TYPE = 1;
    private static final int HDR_HDR_LEN = 2;
    private static final int HDR_GSO_SIZE = 4;
    /** virtio_net_hdr gso_type: none, or an IPv4 / IPv6 TCP segment to be cut (TSO). */
    private static final int GSO_NONE = 0;
    private static final int GSO_TCPV4 = 1;
    private static final int GSO_TCPV6 = 4;
    private static final int TCP_CHECKSUM_OFFSET = 16;
    private static final int HDR_CSUM_START = 6;
    private static final int HDR_CSUM_OFFSET = 8;
    private static final int IOVEC_LENGTH = 16;

    private static final LibC C = LibC.INSTANCE;
    private static final MemoryIO MEMORY = MemoryIO.getInstance();

    private final int fd;
    private final int wakeFd;
    private final String name;
    private final int index;
    private final ByteBuffer pollFds = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
    private final ByteBuffer wakeValue = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    // The header is in native byte order: the "legacy" virtio layout a TUN without TUNSETVNETLE/BE uses.
    private final ByteBuffer rxHeader = ByteBuffer.allocateDirect(VNET_HDR_LENGTH).order(ByteOrder.nativeOrder());
    private final ByteBuffer txHeader = ByteBuffer.allocateDirect(VNET_HDR_LENGTH).order(ByteOrder.nativeOrder());
    private final ByteBuffer rxIov = ByteBuffer.allocateDirect(2 * IOVEC_LENGTH).order(ByteOrder.nativeOrder());
    /** The virtio header, then the packet: whole, or a TCP segment's headers and its payload in one or two runs. */
    private final ByteBuffer txIov = ByteBuffer.allocateDirect(4 * IOVEC_LENGTH).order(ByteOrder.nativeOrder());
    /** Where heap buffers are staged: readv and writev need native addresses. Allocated on first use. */
    private ByteBuffer bounce;
    /** The last direct buffer whose address was looked up, and that address: the loop reuses its buffers. */
    private ByteBuffer rxBuffer;
    private long rxAddress;
    private ByteBuffer txBuffer;
    private long txAddress;
    private Pipe.SourceChannel readiness;
    private volatile boolean closed;
    /** Set by {@link #leaveToNamespace}: the close no longer deletes the device. */
    private volatile boolean leftToNamespace;

    private TunDevice(int fd, int wakeFd, String name, int index) {
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.name = name;
        this.index = index;
        pollFds.putInt(0, fd).putShort(4, LibC.POLLIN);
        pollFds.putInt(8, wakeFd).putShort(12, LibC.POLLIN);
        rxIov.putLong(0, MEMORY.getDirectBufferAddress(rxHeader)).putLong(8, VNET_HDR_LENGTH);
        txIov.putLong(0, MEMORY.getDirectBufferAddress(txHeader)).putLong(8, VNET_HDR_LENGTH);
    }

    /** Creates device {@code name} in the calling thread's network namespace, with no offloads yet. */
    public static TunDevice create(String name) throws NativeException {
        int fd = C.open("/dev/net/tun", LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0) throw NativeException.last("open /dev/net/tun");
        ByteBuffer ifreq = ByteBuffer.allocateDirect(40).order(ByteOrder.nativeOrder());
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        if (n.length >= IFNAMSIZ) throw new IllegalArgumentException("interface name too long: " + name);
        ifreq.put(0, n).putShort(IFNAMSIZ, (short) (IFF_TUN | IFF_NO_PI | IFF_VNET_HDR));
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

    /**
     * Tells the kernel which offloads the reader handles: {@link #TUN_F_CSUM}, {@link #TUN_F_TSO4},
     * {@link #TUN_F_TSO6} or 0 for none (TUNSETOFFLOAD). Call before packets flow.
     */
    public void offload(int flags) throws NativeException {
        if (C.ioctl(fd, TUNSETOFFLOAD, (long) flags) < 0) throw NativeException.last("set offloads of " + name);
    }

    /**
     * Reads one packet into {@code dst} at its position, advancing it. Returns the packet length,
     * 0 when none is waiting, or -1 once the device is closed. The packet's offload header is then
     * available from {@link #receivedChecksumStart()} and its neighbours.
     */
    public int read(ByteBuffer dst) throws NativeException {
        if (closed) return -1;
        int pos = dst.position();
        ByteBuffer target = dst.isDirect() ? dst : bounce(dst.remaining());
        long address = target == dst ? rxAddress(dst) + pos : MEMORY.getDirectBufferAddress(target);
        rxIov.putLong(IOVEC_LENGTH, address).putLong(IOVEC_LENGTH + 8, target == dst ? dst.remaining() : target.capacity());
        long n = C.readv(fd, rxIov, 2);
        if (n < 0) {
            int errno = LibC.errno();
            if (errno == LibC.EAGAIN || errno == LibC.EINTR) return 0;
            if (closed) return -1;
            throw new NativeException("read " + name, errno);
        }
        int length = (int) Math.max(0, n - VNET_HDR_LENGTH);
        if (target != dst) dst.put(pos, target, 0, length);
        dst.position(pos + length);
        return length;
    }

    /**
     * Returns where the transport checksum that the kernel left unfinished starts in the packet last
     * read (virtio's csum_start: the transport header's offset), or -1 when the packet's checksums
     * are complete. Only after {@link #offload} with {@link #TUN_F_CSUM}.
     */
    public int receivedChecksumStart() {
        if ((rxHeader.get(HDR_FLAGS) & VIRTIO_NET_HDR_F_NEEDS_CSUM) == 0) return -1;
        return Short.toUnsignedInt(rxHeader.getShort(HDR_CSUM_START));
    }

    /** Returns where the unfinished checksum lies from {@link #receivedChecksumStart()} (virtio's csum_offset). */
    public int receivedChecksumOffset() {
        return Short.toUnsignedInt(rxHeader.getShort(HDR_CSUM_OFFSET));
    }

    /** Returns the packet last read's GSO type (0: a single segment; 1 TCPv4, 4 TCPv6, |0x80 ECN). */
    public int receivedGsoType() {
        return rxHeader.get(HDR_GSO_TYPE) & 0xff;
    }

    /** Writes one packet with complete checksums: the bytes between {@code src}'s position and limit. */
    public void write(ByteBuffer src) throws NativeException {
        write(src, -1, 0);
    }

    /**
     * Writes one packet whose transport checksum, at {@code checksumStart + checksumOffset}, holds
     * only the pseudo-header sum ({@code checksumStart} -1: its checksums are complete). The kernel
     * finishes it only if the packet ever leaves through a device that needs it; delivered locally,
     * it is taken as sound. Only after {@link #offload} with {@link #TUN_F_CSUM}.
     */
    public void write(ByteBuffer src, int checksumStart, int checksumOffset) throws NativeException {
        if (closed) return;
        txHeader.put(HDR_GSO_TYPE, (byte) GSO_NONE).putShort(HDR_HDR_LEN, (short) 0).putShort(HDR_GSO_SIZE, (short) 0);
        if (checksumStart < 0) {
            txHeader.put(HDR_FLAGS, (byte) 0).putShort(HDR_CSUM_START, (short) 0).putShort(HDR_CSUM_OFFSET, (short) 0);
        } else {
            txHeader.put(HDR_FLAGS, (byte) VIRTIO_NET_HDR_F_NEEDS_CSUM)
                    .putShort(HDR_CSUM_START, (short) checksumStart)
                    .putShort(HDR_CSUM_OFFSET, (short) checksumOffset);
        }
        writeFrame(src, 2);
    }

    /**
     * Writes one TCP segment (IPv4 or IPv6) in parts, with one writev: its IP and TCP headers in
     * {@code headers} (position to limit, the TCP header at {@code tcpStart}, its checksum holding the
     * pseudo-header sum of the whole), then its payload, {@code payload} then {@code more} (null:
     * none), direct buffers read from their position to their limit where they lie, with no copy.
     * Consumes {@code headers}; leaves the payload's buffers as they are.
     *
     * <p>With {@code segmentSize} > 0 the kernel cuts the payload into segments of that many bytes, each
     * with these headers, its sequence number advanced and its checksum finished, as a NIC's TCP
     * segmentation offload does (the last may be shorter; PSH and FIN go with it); delivered locally,
     * it may keep it whole: one write in place of up to 44 at an MTU of 1,500. Only after
     * {@link #offload} with {@link #TUN_F_CSUM}.
     */
    public void writeTcp(ByteBuffer headers, ByteBuffer payload, ByteBuffer more, int tcpStart, int segmentSize)
            throws NativeException {
        if (closed) return;
        int at = headers.position();
        boolean v6 = (headers.get(at) & 0xf0) == 0x60;
        boolean segmented = segmentSize > 0;
        int tcpHeaderLength = ((headers.get(at + tcpStart + 12) & 0xf0) >>> 4) * 4;
        txHeader.put(HDR_FLAGS, (byte) VIRTIO_NET_HDR_F_NEEDS_CSUM)
                .put(HDR_GSO_TYPE, (byte) (!segmented ? GSO_NONE : v6 ? GSO_TCPV6 : GSO_TCPV4))
                .putShort(HDR_HDR_LEN, (short) (segmented ? tcpStart + tcpHeaderLength : 0))
                .putShort(HDR_GSO_SIZE, (short) (segmented ? segmentSize : 0))
                .putShort(HDR_CSUM_START, (short) tcpStart)
                .putShort(HDR_CSUM_OFFSET, (short) TCP_CHECKSUM_OFFSET);
        int parts = 2;
        parts = putPayload(parts, payload);
        if (more != null) parts = putPayload(parts, more);
        writeFrame(headers, parts);
    }

    /** Points iovec {@code part} at {@code run}'s bytes, where they lie; returns the iovecs in use. */
    private int putPayload(int part, ByteBuffer run) {
        if (!run.isDirect()) throw new IllegalArgumentException("a payload to write where it lies must be in native memory");
        txIov.putLong(part * IOVEC_LENGTH, MEMORY.getDirectBufferAddress(run) + run.position())
                .putLong(part * IOVEC_LENGTH + 8, run.remaining());
        return part + 1;
    }

    /**
     * Writes {@link #txHeader}, the bytes in {@code src} and what the iovecs from 2 to below {@code parts} point at
     * with one writev; consumes {@code src}.
     */
    private void writeFrame(ByteBuffer src, int parts) throws NativeException {
        int length = src.remaining();
        long address;
        if (src.isDirect()) {
            address = txAddress(src) + src.position();
        } else {
            ByteBuffer staged = bounce(length);
            staged.put(0, src, src.position(), length);
            address = MEMORY.getDirectBufferAddress(staged);
        }
        txIov.putLong(IOVEC_LENGTH, address).putLong(IOVEC_LENGTH + 8, length);
        long n = C.writev(fd, txIov, parts);
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
        // Closed, its wake fd's number may be another file's by now.
        if (closed) return;
        ByteBuffer one = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder()).putLong(0, 1);
        C.write(wakeFd, one, 8);
    }

    /**
     * Returns a channel that a JDK {@link java.nio.channels.Selector} reports readable whenever a
     * packet waits on the device, so that one thread waits on the device and on its sockets in one
     * select(): a selector takes only the JDK's own channels, and this is one, the read end of a pipe
     * whose descriptor is made a duplicate of the device's (dup3). Register it non-blocking, for
     * OP_READ, and never read, write or block through it. The device closes it. Made on first call.
     */
    public synchronized Pipe.SourceChannel readiness() throws IOException {
        if (closed) throw new IOException("TUN device " + name + " is closed");
        if (readiness == null) {
            Pipe pipe = Pipe.open();
            pipe.sink().close();
            Pipe.SourceChannel source = pipe.source();
            // CLOEXEC: the command must never inherit the device (closing nstun's copies deletes it).
            if (C.dup3(fd, SocketTuning.fd(source), LibC.O_CLOEXEC) < 0) {
                NativeException e = NativeException.last("dup3 the fd of " + name);
                source.close();
                throw e;
            }
            readiness = source;
        }
        return readiness;
    }

    /**
     * Leaves the device to its namespace: from now on its last close no longer deletes it, the kernel
     * does when the namespace ends, in a worker of its own (the device is persistent: TUNSETPERSIST).
     * A close that deletes it unregisters the interface in the closing system call, which waits for
     * RCU grace periods (10 to 20 ms here), and the process cannot end before that call has returned:
     * that was most of the time from the command's exit to nstun's. Call only when nothing but this
     * process holds the namespace, or soon will not (the command has exited and what it left behind
     * is being killed): while something else does, a closed device stays there, unread, still the
     * namespace's only way out and leading nowhere. A device that is never left so is deleted by its
     * close, also when the process dies (even by SIGKILL).
     */
    public synchronized void leaveToNamespace() throws NativeException {
        if (closed) return; // close() takes this lock before it closes the fd: while this holds it, the fd is open
        if (C.ioctl(fd, TUNSETPERSIST, 1L) < 0) throw NativeException.last("leave TUN device " + name + " to its namespace");
        leftToNamespace = true;
    }

    /**
     * Closes the device. Call once the reader has stopped. Unless it was {@linkplain #leaveToNamespace
     * left to its namespace}, the kernel deletes the interface in this close, which waits for RCU grace
     * periods (10 to 20 ms here): it runs on a thread of its own, so that the rest of nstun's clean-up
     * and the JVM's exit overlap it. The process cannot end before that close has returned (the kernel
     * finishes a thread's system call before the process's exit completes), so nothing outlives nstun.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        synchronized (this) {
            if (readiness != null) {
                try {
                    readiness.close();
                } catch (IOException e) {
                    // Its descriptor is closed whatever close() reports.
                }
            }
        }
        C.close(wakeFd);
        if (leftToNamespace) {
            C.close(fd);
        } else {
            Thread.ofPlatform().name("nstun-tun-close").daemon(true).start(() -> C.close(fd));
        }
    }

    private long rxAddress(ByteBuffer buf) {
        if (buf != rxBuffer) {
            rxAddress = MEMORY.getDirectBufferAddress(buf);
            rxBuffer = buf;
        }
        return rxAddress;
    }

    private long txAddress(ByteBuffer buf) {
        if (buf != txBuffer) {
            txAddress = MEMORY.getDirectBufferAddress(buf);
            txBuffer = buf;
        }
        return txAddress;
    }

    private ByteBuffer bounce(int length) {
        int size = Math.max(length, 65536 + VNET_HDR_LENGTH);
        if (bounce == null || bounce.capacity() < size) bounce = ByteBuffer.allocateDirect(size);
        return bounce;
    }
}
