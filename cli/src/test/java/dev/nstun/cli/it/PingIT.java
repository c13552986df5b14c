package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code ping} from inside nstun: echo requests relayed through ICMP sockets in the init namespace
 * to a {@link TestNetwork} (a namespace joined to the host with a veth pair, IPv4 /29 and an
 * IPv6 ULA /64 chosen not to overlap any route of the host), nstun's resolver address answered by
 * nstun itself, and the errors a missing host provokes. Nothing leaves the machine.
 */
class PingIT {
    private static TestNetwork net;
    private static String host4;
    private static String peer4;
    private static String absent4;
    private static String host6;
    private static String peer6;
    private static String absent6;

    @BeforeAll
    static void createTestNamespace() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("ping");
        net = TestNetwork.create("pingit");
        host4 = net.host4();
        peer4 = net.peer4();
        absent4 = net.absent4();
        host6 = net.host6();
        peer6 = net.peer6();
        absent6 = net.absent6();
    }

    @AfterAll
    static void removeTestNamespace() throws Exception {
        if (net != null) net.close();
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
        net.exec("sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647");
        try (NstunProcess p = NstunProcess.start(net.execPrefix(), Map.of(), "run", "-v", "--", "sh", "-c",
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
}
