package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LibC}'s calls against what the kernel and the files say: arguments in, results, buffers and errno out. */
class LibCTest {
    private static final LibC C = LibC.INSTANCE;
    private static final int EBADF = 9;
    private static final int ENOTTY = 25;
    private static final long FIONREAD = 0x541b;
    private static final int EFD_CLOEXEC = 0x80000;

    /**
     * A JVM whose default locale writes digits other than ASCII ones (fa-IR: ۱.۲) binds LibC too: jffi
     * before 1.3.14 named its native library with String.format, and looked for libjffi-۱.۲.so.
     */
    @Test
    void bindsUnderALocaleWhoseDigitsAreNotAscii() throws Exception {
        Process probe = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-Duser.language=fa", "-Duser.country=IR", "-cp", System.getProperty("java.class.path"), LocaleProbe.class.getName())
                .redirectErrorStream(true).start();
        probe.getOutputStream().close();
        assertTrue(probe.waitFor(60, TimeUnit.SECONDS), "the probe's JVM did not end");
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String euid = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow()
                .split("\\s+")[2];
        assertEquals(List.of("fa_IR: geteuid " + euid), output.lines().toList(), output);
    }

    /** Run by {@link #bindsUnderALocaleWhoseDigitsAreNotAscii} in a JVM of its own: says its locale and what geteuid, bound by LibC, returns. */
    static final class LocaleProbe {
        public static void main(String[] args) {
            System.out.println(java.util.Locale.getDefault(java.util.Locale.Category.FORMAT) + ": geteuid " + LibC.INSTANCE.geteuid());
        }
    }

    @Test
    void readsAFileIntoADirectBufferAtItsPosition(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ünïcode name");
        Files.writeString(file, "hello, kernel");
        int fd = C.open(file.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
        assertTrue(fd >= 0, "open: " + LibC.lastError());
        try {
            ByteBuffer buf = ByteBuffer.allocateDirect(64).position(3);
            assertEquals(13, C.read(fd, buf, 61), "bytes read");
            byte[] got = new byte[13];
            buf.get(3, got);
            assertEquals("hello, kernel", new String(got, StandardCharsets.US_ASCII));
            assertEquals(0, buf.get(0), "before the position: untouched");
        } finally {
            assertEquals(0, C.close(fd), "close");
        }
    }

    @Test
    void aFailedCallLeavesItsErrnoAndStrerrorNamesIt(@TempDir Path dir) {
        assertEquals(-1, C.open(dir.resolve("missing").toString(), LibC.O_RDONLY));
        assertEquals(NativeException.ENOENT, LibC.errno(), "errno after open of a missing file");
        assertEquals("No such file or directory", LibC.lastError());
        assertEquals(-1, C.close(-1));
        assertEquals(EBADF, LibC.errno(), "errno after close(-1)");
        NativeException e = new NativeException("close", EBADF);
        assertEquals("close: Bad file descriptor", e.getMessage());
    }

    @Test
    void readlinkReadsALinkAtTheBuffersPositionAndStopsWhereItEnds(@TempDir Path dir) throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("somewhere/else"));
        ByteBuffer buf = ByteBuffer.allocateDirect(64).position(3);
        assertEquals(14, C.readlink(link.toString(), buf));
        byte[] got = new byte[14];
        buf.get(3, got);
        assertEquals("somewhere/else", new String(got, StandardCharsets.UTF_8));
        assertEquals(3, buf.position(), "the position is left as it was");
        assertEquals(4, C.readlink(link.toString(), ByteBuffer.allocateDirect(4)), "a longer target fills the buffer");
        assertEquals(-1, C.readlink(dir.resolve("missing").toString(), buf));
        assertEquals(NativeException.ENOENT, LibC.errno());
    }

    @Test
    void aHeapBufferIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> C.read(0, ByteBuffer.allocate(8), 8));
    }

    @Test
    void anEventfdCountsWhatIsWrittenAndPollSeesIt() {
        int fd = C.eventfd(0, EFD_CLOEXEC | LibC.O_NONBLOCK);
        assertTrue(fd >= 0, "eventfd: " + LibC.lastError());
        try {
            ByteBuffer value = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
            assertEquals(-1, C.read(fd, value, 8), "read of a zero eventfd");
            assertEquals(LibC.EAGAIN, LibC.errno());
            value.putLong(0, 41);
            assertEquals(8, C.write(fd, value, 8));
            value.putLong(0, 1);
            assertEquals(8, C.write(fd, value, 8));
            ByteBuffer pollFd = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
            pollFd.putInt(0, fd).putShort(4, LibC.POLLIN);
            assertEquals(1, C.poll(pollFd, 1, 0), "ready descriptors");
            assertEquals(LibC.POLLIN, pollFd.getShort(6), "revents");
            value.putLong(0, 0);
            assertEquals(8, C.read(fd, value, 8));
            assertEquals(42, value.getLong(0), "the count");
        } finally {
            C.close(fd);
        }
    }

    @Test
    void aDatagramToItselfComesBackWithItsSource() {
        int fd = C.socket(LibC.AF_UNIX, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        assertTrue(fd >= 0, "socket: " + LibC.lastError());
        try {
            // An abstract address (a leading NUL): nothing on the file system.
            byte[] name = ("\0nstun-libc-test-" + ProcessHandle.current().pid()).getBytes(StandardCharsets.US_ASCII);
            ByteBuffer address = ByteBuffer.allocateDirect(2 + name.length).order(ByteOrder.nativeOrder());
            address.putShort(0, (short) LibC.AF_UNIX).put(2, name);
            assertEquals(0, C.bind(fd, address, address.capacity()), "bind: " + LibC.lastError());
            ByteBuffer datagram = ByteBuffer.allocateDirect(16);
            datagram.put(0, "ping".getBytes(StandardCharsets.US_ASCII));
            assertEquals(4, C.sendto(fd, datagram, 4, 0, address, address.capacity()), "sendto: " + LibC.lastError());
            ByteBuffer pending = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            assertEquals(0, C.ioctl(fd, FIONREAD, pending), "FIONREAD");
            assertEquals(4, pending.getInt(0), "bytes pending");
            ByteBuffer into = ByteBuffer.allocateDirect(16);
            ByteBuffer source = ByteBuffer.allocateDirect(64);
            ByteBuffer sourceLength = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putInt(0, 64);
            assertEquals(4, C.recvfrom(fd, into, 16, LibC.MSG_DONTWAIT, source, sourceLength));
            byte[] got = new byte[4];
            into.get(0, got);
            assertEquals("ping", new String(got, StandardCharsets.US_ASCII));
            assertEquals(address.capacity(), sourceLength.getInt(0), "source address length");
            assertEquals(-1, C.recv(fd, into, 16, LibC.MSG_DONTWAIT), "nothing left");
            assertEquals(LibC.EAGAIN, LibC.errno());
        } finally {
            C.close(fd);
        }
    }

    @Test
    void loopbackHasTheIndexSysfsGives() throws Exception {
        int want = Integer.parseInt(Files.readString(Path.of("/sys/class/net/lo/ifindex")).trim());
        assertEquals(want, C.if_nametoindex("lo"));
        assertEquals(0, C.if_nametoindex("no-such-if0"), "a missing interface");
    }

    @Test
    void aSignalZeroReachesThisProcessAndAFileIsNoTerminal(@TempDir Path dir) throws Exception {
        assertEquals(0, C.kill((int) ProcessHandle.current().pid(), 0));
        Path file = Files.createFile(dir.resolve("plain"));
        int fd = C.open(file.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
        try {
            assertEquals(-1, C.tcgetpgrp(fd));
            assertEquals(ENOTTY, LibC.errno());
        } finally {
            C.close(fd);
        }
    }

    @Test
    void theGroupListOfRootHoldsItsGroupAndSaysHowManyWhenThereIsNoRoom() {
        int[] count = {64};
        int[] groups = new int[64];
        int n = C.getgrouplist("root", 0, groups, count);
        assertTrue(n >= 1, "groups of root: " + n);
        assertEquals(n, count[0], "count");
        assertEquals(0, groups[0], "the group given comes first");
        int[] none = {0};
        assertEquals(-1, C.getgrouplist("root", 0, new int[0], none), "no room");
        assertEquals(n, none[0], "the number needed");
    }

    @Test
    void theProcessGroupIsTheOneProcSays() throws Exception {
        // /proc/self/stat: pid (comm) state ppid pgrp ...; comm may hold spaces, so count from its ')'.
        String stat = Files.readString(Path.of("/proc/self/stat"));
        int want = Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[2]);
        assertEquals(want, C.getpgrp());
    }
}
