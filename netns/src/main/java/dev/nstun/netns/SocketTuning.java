package dev.nstun.netns;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channel;
import java.nio.charset.StandardCharsets;

/**
 * The socket options the JDK does not offer: {@code SO_BINDTODEVICE} (send through one interface,
 * whatever the routing table says) and {@code SO_MARK} (a mark policy routing and nftables match).
 * They are set on a JDK channel's own descriptor, which the JDK exposes only inside java.base:
 * the launcher exports {@code sun.nio.ch} for it.
 */
public final class SocketTuning {
    private static final int SO_BINDTODEVICE = 25;
    private static final int SO_MARK = 36;
    private static final int IFNAMSIZ = 16;

    private SocketTuning() {}

    /** Makes {@code channel}'s socket send and receive through interface {@code name} only. */
    public static void bindToDevice(Channel channel, String name) throws IOException {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length == 0 || bytes.length >= IFNAMSIZ) throw new IOException("interface name '" + name + "' is not 1 to 15 characters");
        ByteBuffer value = ByteBuffer.allocateDirect(bytes.length + 1).put(bytes).put((byte) 0).flip();
        if (LibC.INSTANCE.setsockopt(fd(channel), LibC.SOL_SOCKET, SO_BINDTODEVICE, value, value.remaining()) != 0) {
            NativeException e = NativeException.last("SO_BINDTODEVICE " + name);
            if (e.errno() == NativeException.ENODEV) throw new IOException("interface " + name + " does not exist (ip link shows the host's interfaces)", e);
            if (e.errno() == NativeException.EPERM) throw new IOException("binding to interface " + name + " needs CAP_NET_RAW", e);
            throw e;
        }
    }

    /** Marks every packet of {@code channel}'s socket with {@code mark} (an unsigned 32-bit value). */
    public static void setMark(Channel channel, long mark) throws IOException {
        ByteBuffer value = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putInt(0, (int) mark);
        if (LibC.INSTANCE.setsockopt(fd(channel), LibC.SOL_SOCKET, SO_MARK, value, 4) != 0) {
            NativeException e = NativeException.last("SO_MARK 0x" + Long.toHexString(mark));
            if (e.errno() == NativeException.EPERM) throw new IOException("setting fwmark needs CAP_NET_ADMIN", e);
            throw e;
        }
    }

    /** Returns the descriptor of a JDK socket or pipe channel (sun.nio.ch.SelChImpl#getFDVal). */
    static int fd(Channel channel) throws IOException {
        try {
            Class<?> selCh = Class.forName("sun.nio.ch.SelChImpl");
            if (!selCh.isInstance(channel)) throw new IOException(channel.getClass().getName() + " has no file descriptor nstun can reach");
            Method getFd = selCh.getMethod("getFDVal");
            return (int) getFd.invoke(channel);
        } catch (ReflectiveOperationException | IllegalAccessError | SecurityException e) {
            throw new IOException("cannot reach the socket's descriptor (start nstun through its launcher, which adds"
                    + " --add-exports java.base/sun.nio.ch=ALL-UNNAMED): " + e, e);
        }
    }
}
