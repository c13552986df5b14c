package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

/** SO_BINDTODEVICE and SO_MARK on real sockets, read back with getsockopt. Needs root (CAP_NET_RAW/ADMIN). */
class SocketTuningTest {
    @Test
    void bindsToADeviceAndMarksTheSocket() throws Exception {
        requireRoot();
        try (DatagramChannel ch = DatagramChannel.open()) {
            SocketTuning.bindToDevice(ch, "lo");
            SocketTuning.setMark(ch, 0xfffffff0L);
            assertEquals("lo", deviceOf(ch));
            assertEquals((int) 0xfffffff0L, markOf(ch));
            // Bound to lo, the socket still reaches loopback addresses.
            ch.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9));
        }
    }

    @Test
    void anInterfaceThatDoesNotExistIsNamedInTheError() throws Exception {
        requireRoot();
        try (SocketChannel ch = SocketChannel.open()) {
            IOException e = assertThrows(IOException.class, () -> SocketTuning.bindToDevice(ch, "nstunnope0"));
            assertTrue(e.getMessage().contains("interface nstunnope0 does not exist"), e.getMessage());
            assertThrows(IOException.class, () -> SocketTuning.bindToDevice(ch, "a-name-far-too-long"));
        }
    }

    private static String deviceOf(DatagramChannel ch) throws IOException {
        ByteBuffer value = ByteBuffer.allocateDirect(16);
        ByteBuffer length = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putInt(0, 16);
        assertEquals(0, LibCForTests.getsockopt(SocketTuning.fd(ch), 1, 25, value, length));
        byte[] name = new byte[length.getInt(0) - 1];
        value.get(0, name);
        return new String(name, java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static int markOf(DatagramChannel ch) throws IOException {
        ByteBuffer value = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
        ByteBuffer length = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putInt(0, 4);
        assertEquals(0, LibCForTests.getsockopt(SocketTuning.fd(ch), 1, 36, value, length));
        return value.getInt(0);
    }

    private static void requireRoot() {
        boolean root = "0".equals(System.getProperty("nstun.test.uid", Long.toString(new com.sun.security.auth.module.UnixSystem().getUid())));
        if (!root && "true".equals(System.getenv("CI"))) throw new AssertionError("CI runs as root: SocketTuningTest must not skip");
        assumeTrue(root, "SO_BINDTODEVICE and SO_MARK need root (CAP_NET_RAW, CAP_NET_ADMIN): run the tests with sudo");
    }

    /** getsockopt, for reading back what the test set (nstun itself never reads these options). */
    interface LibCForTests {
        static int getsockopt(int fd, int level, int option, ByteBuffer value, ByteBuffer length) {
            return Native.LIBC.getsockopt(fd, level, option, value, length);
        }

        interface Native {
            Native LIBC = jnr.ffi.LibraryLoader.create(Native.class).load("c");

            int getsockopt(int fd, int level, int option, @jnr.ffi.annotations.Out ByteBuffer value, ByteBuffer length);
        }
    }
}
