package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code ping} from inside nstun: echo requests relayed through ICMP sockets in the init namespace
 * to a test namespace this class creates and joins to the host with a veth pair (IPv4 /29 and an
 * IPv6 ULA /64 chosen not to overlap any route of the host), nstun's resolver address answered by
 * nstun itself, and the errors a missing host provokes. Nothing leaves the machine.
 */
class PingIT {
    private static final String SUFFIX = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
    private static final String NAMESPACE = "nstun-pingit-" + SUFFIX;
    private static final String HOST_VETH = "npi" + SUFFIX + "h";
    private static final String PEER_VETH = "npi" + SUFFIX + "n";
    private static String host4;
    private static String peer4;
    private static String absent4;
    private static String host6;
    private static String peer6;
    private static String absent6;
    private static boolean namespaceCreated;
    private static boolean vethCreated;

    @BeforeAll
    static void createTestNamespace() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("ping");
        Requirements.requireCommand("ip");
        int third = freeIpv4Subnet();
        host4 = "10.200." + third + ".1";
        peer4 = "10.200." + third + ".2";
        absent4 = "10.200." + third + ".5";
        String prefix6 = freeIpv6Prefix();
        host6 = prefix6 + "1";
        peer6 = prefix6 + "2";
        absent6 = prefix6 + "5";
        ip("netns", "add", NAMESPACE);
        namespaceCreated = true;
        ip("link", "add", HOST_VETH, "type", "veth", "peer", "name", PEER_VETH, "netns", NAMESPACE);
        vethCreated = true;
        ip("addr", "add", host4 + "/29", "dev", HOST_VETH);
        ip("-6", "addr", "add", host6 + "/64", "dev", HOST_VETH, "nodad");
        ip("link", "set", HOST_VETH, "up");
        ip("-n", NAMESPACE, "addr", "add", peer4 + "/29", "dev", PEER_VETH);
        ip("-n", NAMESPACE, "-6", "addr", "add", peer6 + "/64", "dev", PEER_VETH, "nodad");
        ip("-n", NAMESPACE, "link", "set", PEER_VETH, "up");
        ip("-n", NAMESPACE, "link", "set", "lo", "up");
    }

    @AfterAll
    static void removeTestNamespace() throws Exception {
        // Deleting the namespace deletes its veth end, and with it the pair; the link is deleted
        // explicitly too in case the namespace never got its end.
        if (namespaceCreated) Requirements.run(Path.of("/"), "ip", "netns", "del", NAMESPACE);
        if (vethCreated && Requirements.run(Path.of("/"), "ip", "link", "show", HOST_VETH).exitCode() == 0) {
            Requirements.run(Path.of("/"), "ip", "link", "del", HOST_VETH);
        }
    }

    @Test
    void ipv4PingReachesTheTestNamespace() throws Exception {
        NstunProcess p = NstunProcess.run("run", "--", "ping", "-c3", "-W2", peer4);
        assertEquals(0, p.exitCode(), p.describe());
        assertTrue(p.stdout().contains("3 received"), p.describe());
        assertTrue(p.stdout().contains("64 bytes from " + peer4 + ": icmp_seq=3"), p.describe());
    }

    @Test
    void ipv6PingReachesTheTestNamespace() throws Exception {
        NstunProcess p = NstunProcess.run("run", "--", "ping", "-6", "-c3", "-W2", peer6);
        assertEquals(0, p.exitCode(), p.describe());
        assertTrue(p.stdout().contains("3 received"), p.describe());
    }

    @Test
    void resolverAddressIsAnsweredByNstun() throws Exception {
        NstunProcess p = NstunProcess.run("run", "--", "sh", "-c",
                "ping -c1 -W2 198.18.0.2 && ping -6 -c1 -W2 fd4e:5354:554e::2");
        assertEquals(0, p.exitCode(), p.describe());
        assertEquals(2, p.stdout().split("1 received", -1).length - 1, p.describe());
    }

    @Test
    void largeEchoComesBackWhole() throws Exception {
        // 8000 bytes of data: one packet on nstun's 65520-byte TUN, fragments on the veth (MTU 1500).
        NstunProcess p = NstunProcess.run("run", "--", "ping", "-c2", "-W2", "-s", "8000", peer4);
        assertEquals(0, p.exitCode(), p.describe());
        assertTrue(p.stdout().contains("8008 bytes from " + peer4), p.describe());
    }

    @Test
    void missingHostFailsWithinTheDeadline() throws Exception {
        long start = System.nanoTime();
        NstunProcess p = NstunProcess.run("run", "--", "sh", "-c",
                "ping -c1 -W2 " + absent4 + "; echo \"status $?\"; ping -6 -c1 -W2 " + absent6 + "; echo \"status $?\"");
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertEquals(0, p.exitCode(), p.describe());
        assertEquals(2, p.stdout().split("100% packet loss", -1).length - 1, p.describe());
        assertEquals(2, p.stdout().split("status 1\n", -1).length - 1, p.describe());
        assertTrue(seconds < 15, "took " + seconds + " s:\n" + p.describe());
    }

    @Test
    void hostUnreachableErrorsReachTheCommand() throws Exception {
        // ARP and neighbour discovery give up after about 3 s: the host's kernel reports it to our
        // socket, and nstun relays it, quoting the command's request.
        NstunProcess p = NstunProcess.run("run", "--", "sh", "-c",
                "ping -c1 -W6 " + absent4 + "; ping -6 -c1 -W6 " + absent6);
        assertEquals(1, p.exitCode(), p.describe());
        assertTrue(p.stdout().contains("From " + host4 + " icmp_seq=1 Destination Host Unreachable"), p.describe());
        assertTrue(p.stdout().contains("From " + host6 + " icmp_seq=1 Destination unreachable: Address unreachable"), p.describe());
    }

    @Test
    void nstunsOwnRangeIsRefusedAtOnce() throws Exception {
        NstunProcess p = NstunProcess.run("run", "--", "ping", "-c1", "-W5", "198.18.0.9");
        assertEquals(1, p.exitCode(), p.describe());
        assertTrue(p.stdout().contains("Packet filtered"), p.describe());
    }

    /**
     * This machine may refuse ping sockets to root's group in the init namespace (then nstun uses raw
     * sockets); the test namespace allows them, so the other mode runs with nstun itself started
     * there: its upstream sockets live in the test namespace and reach the host's veth end.
     */
    @Test
    void pingSocketsWhereTheKernelAllowsThem() throws Exception {
        ip("netns", "exec", NAMESPACE, "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647");
        try (NstunProcess p = NstunProcess.start(List.of("ip", "netns", "exec", NAMESPACE), Map.of(), "run", "-v", "--", "sh", "-c",
                "ping -c2 -W2 " + host4 + " && ping -6 -c2 -W2 " + host6 + " && ping -c1 -W6 " + absent4 + "; ping -6 -c1 -W6 " + absent6)) {
            p.closeStdin();
            assertEquals(1, p.await(), p.describe());
            assertTrue(p.stderr().contains("ICMP echo through ping sockets (IPv4: yes, IPv6: yes)"), p.describe());
            assertEquals(2, p.stdout().split("2 received", -1).length - 1, p.describe());
            // From the test namespace the absent addresses are on its own link: it reports them.
            assertTrue(p.stdout().contains("From " + peer4 + " icmp_seq=1 Destination Host Unreachable"), p.describe());
            assertTrue(p.stdout().contains("From " + peer6 + " icmp_seq=1 Destination unreachable: Address unreachable"), p.describe());
        }
    }

    /** Returns a third octet X such that 10.200.X.0/29 overlaps no route or address of the host. */
    private static int freeIpv4Subnet() throws Exception {
        List<BigInteger[]> used = usedRanges("-4", 32);
        for (int tries = 0; tries < 100; tries++) {
            int x = ThreadLocalRandom.current().nextInt(256);
            BigInteger start = BigInteger.valueOf((10L << 24) | (200L << 16) | ((long) x << 8));
            if (free(used, start, start.add(BigInteger.valueOf(7)))) return x;
        }
        throw new AssertionError("no free 10.200.X.0/29 for the test");
    }

    /**
     * Returns "fdXX:X:X::" for a random ULA /64 (RFC 4193) that overlaps nothing of the host's, in
     * the compressed form ping prints (no zero group, so no other spelling).
     */
    private static String freeIpv6Prefix() throws Exception {
        List<BigInteger[]> used = usedRanges("-6", 128);
        for (int tries = 0; tries < 100; tries++) {
            long globalId = ThreadLocalRandom.current().nextLong() & 0xff_ffff_ffffL;
            if ((globalId & 0xffff) == 0 || (globalId >>> 16 & 0xffff) == 0) continue;
            String prefix = String.format("fd%02x:%x:%x::", globalId >>> 32, (globalId >>> 16) & 0xffff, globalId & 0xffff);
            BigInteger start = new BigInteger(1, InetAddress.getByName(prefix).getAddress());
            if (free(used, start, start.add(BigInteger.ONE.shiftLeft(64)).subtract(BigInteger.ONE))) return prefix;
        }
        throw new AssertionError("no free ULA /64 for the test");
    }

    private static boolean free(List<BigInteger[]> used, BigInteger start, BigInteger end) {
        for (BigInteger[] r : used) {
            if (r[0].compareTo(end) <= 0 && start.compareTo(r[1]) <= 0) return false;
        }
        return true;
    }

    /** Returns [first, last] of every prefix in the host's routes (all tables) and addresses of a family. */
    private static List<BigInteger[]> usedRanges(String family, int bits) throws Exception {
        List<String> prefixes = new ArrayList<>();
        for (String line : Requirements.run(Path.of("/"), "ip", family, "route", "show", "table", "all").output().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 0 || f[0].isEmpty()) continue;
            String first = List.of("local", "broadcast", "anycast", "multicast", "unicast", "blackhole", "unreachable", "prohibit", "throw")
                    .contains(f[0]) && f.length > 1 ? f[1] : f[0];
            if (!first.equals("default")) prefixes.add(first);
        }
        for (String line : Requirements.run(Path.of("/"), "ip", "-o", family, "addr").output().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 3) prefixes.add(f[3]);
        }
        List<BigInteger[]> ranges = new ArrayList<>();
        for (String p : prefixes) {
            String[] parts = p.split("/");
            if (!parts[0].matches("[0-9A-Fa-f:.]+")) continue; // never let getByName look a name up
            int length = parts.length > 1 ? Integer.parseInt(parts[1]) : bits;
            BigInteger a = new BigInteger(1, InetAddress.getByName(parts[0]).getAddress());
            BigInteger size = BigInteger.ONE.shiftLeft(bits - length);
            BigInteger first = a.subtract(a.mod(size));
            ranges.add(new BigInteger[] {first, first.add(size).subtract(BigInteger.ONE)});
        }
        return ranges;
    }

    private static void ip(String... args) throws Exception {
        String[] command = new String[args.length + 1];
        command[0] = "ip";
        System.arraycopy(args, 0, command, 1, args.length);
        Requirements.ProcessResult r = Requirements.run(Path.of("/"), command);
        assertEquals(0, r.exitCode(), String.join(" ", command) + ": " + r.output());
    }
}
