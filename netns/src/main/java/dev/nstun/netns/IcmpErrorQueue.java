package dev.nstun.netns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import com.kenai.jffi.MemoryIO;

/**
 * Reads the ICMP errors a ping socket's requests provoked from its error queue ({@code
 * IP_RECVERR} / {@code IPV6_RECVERR}, ip(7) and ipv6(7)): each comes as the quoted echo header we
 * sent, with a {@code sock_extended_err} control message holding the error's type, code and info
 * and, after it, the address of the node that reported it. One instance, owned by the reader
 * thread; its native buffers are allocated once.
 */
final class IcmpErrorQueue {
    private static final LibC C = LibC.INSTANCE;
    private static final int SO_EE_ORIGIN_ICMP = 2;
    private static final int SO_EE_ORIGIN_ICMP6 = 3;
    private static final int DATA = 64;
    private static final int CONTROL = 256;
    private static final ByteBuffer ENABLE = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putInt(0, 1);

    /** The size of a pointer and of size_t (LibC is for 64-bit Linux). */
    private static final int POINTER = 8;
    /** CMSG_DATA: after size_t cmsg_len and two ints, aligned. */
    private static final int CMSG_DATA = align(POINTER + 8);

    private final ByteBuffer msg = ByteBuffer.allocateDirect(7 * POINTER).order(ByteOrder.nativeOrder());
    private final ByteBuffer iov = ByteBuffer.allocateDirect(2 * POINTER).order(ByteOrder.nativeOrder());
    private final ByteBuffer data = ByteBuffer.allocateDirect(DATA);
    private final ByteBuffer control = ByteBuffer.allocateDirect(CONTROL).order(ByteOrder.nativeOrder());

    int type;
    int code;
    int restOfHeader;
    int sequence;
    /** Who reported the error, or null when the kernel did not say. */
    InetAddress reporter;

    IcmpErrorQueue() {
        MemoryIO memory = MemoryIO.getInstance();
        iov.putLong(0, memory.getDirectBufferAddress(data)).putLong(POINTER, DATA);
        // struct msghdr: name, namelen (padded to a pointer), iov, iovlen, control, controllen, flags
        msg.putLong(2 * POINTER, memory.getDirectBufferAddress(iov)).putLong(3 * POINTER, 1);
        msg.putLong(4 * POINTER, memory.getDirectBufferAddress(control));
    }

    /** Turns the error queue on for a fresh ping socket; returns false when the kernel refuses. */
    static boolean enable(int fd, boolean v6) {
        return C.setsockopt(fd, v6 ? LibC.SOL_IPV6 : LibC.SOL_IP, v6 ? LibC.IPV6_RECVERR : LibC.IP_RECVERR, ENABLE, 4) == 0;
    }

    /**
     * Reads one queued error of {@code fd}. Returns 1 when it is an ICMP error about one of our echo
     * requests (the fields are set), 0 for anything else, -1 when the queue is empty.
     */
    int receive(int fd, boolean v6) {
        // The kernel rewrites namelen, controllen and flags: set them again.
        msg.putLong(0, 0).putInt(POINTER, 0).putLong(5 * POINTER, CONTROL).putInt(6 * POINTER, 0);
        long n;
        do {
            n = C.recvmsg(fd, msg, LibC.MSG_ERRQUEUE | LibC.MSG_DONTWAIT);
        } while (n < 0 && LibC.errno() == LibC.EINTR);
        if (n < 0) return -1;
        // The data is the start of what we sent: our echo request's header.
        int request = v6 ? IcmpInbound.V6_ECHO_REQUEST : IcmpInbound.V4_ECHO_REQUEST;
        if (n < IcmpInbound.ICMP_HEADER || (data.get(0) & 0xff) != request) return 0;
        sequence = (data.get(6) & 0xff) << 8 | data.get(7) & 0xff;
        long used = Math.min(msg.getLong(5 * POINTER), CONTROL);
        for (int at = 0; at + CMSG_DATA <= used; ) {
            long length = control.getLong(at);
            if (length < CMSG_DATA || at + length > used) return 0;
            int level = control.getInt(at + POINTER);
            int kind = control.getInt(at + POINTER + 4);
            if (v6 ? level == LibC.SOL_IPV6 && kind == LibC.IPV6_RECVERR : level == LibC.SOL_IP && kind == LibC.IP_RECVERR) {
                return readExtendedError(at + CMSG_DATA, (int) (at + length), v6);
            }
            at += (int) align(length);
        }
        return 0;
    }

    /** struct sock_extended_err: errno, origin, type, code, pad, info, data; then the offender's sockaddr. */
    private int readExtendedError(int at, int end, boolean v6) {
        if (end - at < 16) return 0;
        int origin = control.get(at + 4) & 0xff;
        if (origin != (v6 ? SO_EE_ORIGIN_ICMP6 : SO_EE_ORIGIN_ICMP)) return 0;
        type = control.get(at + 5) & 0xff;
        code = control.get(at + 6) & 0xff;
        restOfHeader = restOfHeader(v6, type, code, control.getInt(at + 8));
        reporter = offender(at + 16, end, v6);
        return 1;
    }

    /** Puts the kernel's ee_info back where the ICMP header carries it: MTU or pointer. */
    private static int restOfHeader(boolean v6, int type, int code, int info) {
        if (v6) {
            return type == IcmpInbound.V6_PACKET_TOO_BIG || type == IcmpInbound.V6_PARAMETER_PROBLEM ? info : 0;
        }
        if (type == IcmpInbound.V4_DESTINATION_UNREACHABLE && code == 4) return info & 0xffff; // next-hop MTU
        if (type == IcmpInbound.V4_PARAMETER_PROBLEM) return info << 24; // pointer
        return 0;
    }

    private InetAddress offender(int at, int end, boolean v6) {
        int family = control.getShort(at) & 0xffff;
        byte[] address;
        if (!v6 && family == LibC.AF_INET && end - at >= 8) {
            address = new byte[4];
            control.get(at + 4, address);
        } else if (v6 && family == LibC.AF_INET6 && end - at >= 24) {
            address = new byte[16];
            control.get(at + 8, address);
        } else {
            return null;
        }
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static long align(long length) {
        return (length + POINTER - 1) & -POINTER;
    }

    private static int align(int length) {
        return (length + POINTER - 1) & -POINTER;
    }
}
