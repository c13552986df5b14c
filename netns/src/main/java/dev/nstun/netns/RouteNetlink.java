package dev.nstun.netns;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An rtnetlink socket (what {@code ip link/addr/route} speak) in the network namespace of the
 * thread that opened it. Every request asks for an ack, so failures surface as the kernel's errno.
 * See rtnetlink(7); message layouts are those of linux/rtnetlink.h and linux/if_link.h.
 */
public final class RouteNetlink implements AutoCloseable {
    private static final int NETLINK_ROUTE = 0;
    private static final short RTM_NEWLINK = 16;
    private static final short RTM_NEWADDR = 20;
    private static final short RTM_NEWROUTE = 24;
    private static final short NLMSG_ERROR = 2;
    private static final short NLM_F_REQUEST = 0x1;
    private static final short NLM_F_ACK = 0x4;
    private static final short NLM_F_EXCL = 0x200;
    private static final short NLM_F_CREATE = 0x400;
    private static final short IFLA_MTU = 4;
    private static final short IFLA_TXQLEN = 13;
    private static final short IFA_ADDRESS = 1;
    private static final short IFA_LOCAL = 2;
    private static final short IFA_FLAGS = 8;
    private static final int IFA_F_NODAD = 0x02;
    private static final short RTA_OIF = 4;
    private static final byte RT_TABLE_MAIN = (byte) 254;
    private static final byte RTPROT_STATIC = 4;
    private static final byte RT_SCOPE_UNIVERSE = 0;
    private static final byte RT_SCOPE_LINK = (byte) 253;
    private static final byte RTN_UNICAST = 1;
    private static final int IFF_UP = 0x1;
    private static final int NLMSG_HDRLEN = 16;

    private static final LibC C = LibC.INSTANCE;

    private final int fd;
    private final ByteBuffer request = ByteBuffer.allocateDirect(512).order(ByteOrder.nativeOrder());
    private final ByteBuffer reply = ByteBuffer.allocateDirect(8192).order(ByteOrder.nativeOrder());
    private int sequence;

    private RouteNetlink(int fd) {
        this.fd = fd;
    }

    /** Opens a socket in the calling thread's network namespace. */
    public static RouteNetlink open() throws NativeException {
        int fd = C.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0) throw NativeException.last("netlink socket");
        ByteBuffer sa = ByteBuffer.allocateDirect(12).order(ByteOrder.nativeOrder());
        sa.putShort(0, (short) LibC.AF_NETLINK);
        if (C.bind(fd, sa, 12) < 0) {
            NativeException e = NativeException.last("netlink bind");
            C.close(fd);
            throw e;
        }
        return new RouteNetlink(fd);
    }

    /** Brings interface {@code index} up, setting its MTU when {@code mtu > 0}. */
    public void linkUp(int index, int mtu) throws NativeException {
        linkUp(index, mtu, 0);
    }

    /**
     * Brings interface {@code index} up, setting its MTU when {@code mtu > 0} and the length of its
     * transmit queue (what {@code ip link set DEV txqueuelen N} sets) when {@code txQueueLength > 0}.
     */
    public void linkUp(int index, int mtu, int txQueueLength) throws NativeException {
        begin(RTM_NEWLINK, 0);
        request.put((byte) 0).put((byte) 0).putShort((short) 0); // family, pad, type
        request.putInt(index).putInt(IFF_UP).putInt(IFF_UP);     // index, flags, change
        if (mtu > 0) attribute(IFLA_MTU, mtu);
        if (txQueueLength > 0) attribute(IFLA_TXQLEN, txQueueLength);
        transact("set link " + index + " up" + (mtu > 0 ? " mtu " + mtu : "") + (txQueueLength > 0 ? " txqueuelen " + txQueueLength : ""));
    }

    /** Adds {@code address/prefix} to interface {@code index} (IPv6 without duplicate detection). */
    public void addAddress(int index, InetAddress address, int prefix) throws NativeException {
        boolean v4 = address instanceof Inet4Address;
        begin(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
        request.put((byte) (v4 ? LibC.AF_INET : LibC.AF_INET6)).put((byte) prefix);
        request.put((byte) (v4 ? 0 : IFA_F_NODAD)).put(RT_SCOPE_UNIVERSE).putInt(index);
        attribute(IFA_LOCAL, address.getAddress());
        attribute(IFA_ADDRESS, address.getAddress());
        if (!v4) attribute(IFA_FLAGS, IFA_F_NODAD);
        transact("add address " + address.getHostAddress() + "/" + prefix);
    }

    /** Adds a default route of the given family through interface {@code index}, no gateway. */
    public void addDefaultRoute(int index, boolean ipv4) throws NativeException {
        begin(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
        request.put((byte) (ipv4 ? LibC.AF_INET : LibC.AF_INET6)).put((byte) 0).put((byte) 0).put((byte) 0);
        request.put(RT_TABLE_MAIN).put(RTPROT_STATIC).put(ipv4 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE).put(RTN_UNICAST);
        request.putInt(0);
        attribute(RTA_OIF, index);
        transact("add default " + (ipv4 ? "IPv4" : "IPv6") + " route");
    }

    private void begin(short type, int extraFlags) {
        request.clear();
        request.putInt(0).putShort(type).putShort((short) (NLM_F_REQUEST | NLM_F_ACK | extraFlags));
        request.putInt(++sequence).putInt(0);
    }

    private void attribute(short type, int value) {
        request.putShort((short) 8).putShort(type).putInt(value);
    }

    private void attribute(short type, byte[] value) {
        request.putShort((short) (4 + value.length)).putShort(type).put(value);
        while ((request.position() & 3) != 0) request.put((byte) 0);
    }

    private void transact(String what) throws NativeException {
        int length = request.position();
        request.putInt(0, length).flip(); // LibC passes a direct buffer's address plus its position
        if (C.send(fd, request, length, 0) != length) throw NativeException.last("netlink " + what);
        while (true) {
            reply.clear();
            long n = C.recv(fd, reply, reply.capacity(), 0);
            if (n < 0) {
                if (LibC.errno() == LibC.EINTR) continue;
                throw NativeException.last("netlink " + what);
            }
            for (int off = 0; off + NLMSG_HDRLEN <= n; ) {
                int len = reply.getInt(off);
                if (len < NLMSG_HDRLEN) break;
                if (reply.getShort(off + 4) == NLMSG_ERROR && reply.getInt(off + 8) == sequence) {
                    int error = reply.getInt(off + NLMSG_HDRLEN);
                    if (error == 0) return;
                    throw new NativeException(what, -error);
                }
                off += (len + 3) & ~3;
            }
        }
    }

    @Override
    public void close() {
        C.close(fd);
    }
}
