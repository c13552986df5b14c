package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the command finds inside: interfaces, addresses, routes, resolver files, and the pcap. */
class NamespaceIT {
    @BeforeAll
    static void needsRoot() {
        Requirements.requireRoot();
    }

    @Test
    void onlyLoopbackAndTheTunWithTheirAddressesAndDefaultRoutes() throws Exception {
        NstunProcess p = NstunProcess.run("run", "--", "sh", "-c",
                "ip -o link; echo ==; ip -o addr; echo ==; ip -4 route; echo ==; ip -6 route");
        assertEquals(0, p.exitCode(), p.describe());
        String[] parts = p.stdout().split("==\n");
        List<String> links = lines(parts[0]);
        List<String> up = links.stream().filter(l -> l.contains(",UP")).toList();
        assertEquals(2, up.size(), "interfaces that are up: " + links);
        assertTrue(up.get(0).contains(": lo: "), links.toString());
        assertTrue(up.get(1).contains(": nstun0: ") && up.get(1).contains("mtu 65520"), links.toString());
        for (String other : links) {
            // Kernels with sit/ip6_tunnel loaded add fallback tunnels to every namespace: down, unused.
            assertTrue(other.contains(": lo: ") || other.contains(": nstun0: ") || !other.contains(",UP"), other);
        }
        String addrs = parts[1];
        assertTrue(addrs.contains("nstun0    inet 198.18.0.1/15"), addrs);
        assertTrue(addrs.contains("nstun0    inet6 fd4e:5354:554e::1/64"), addrs);
        assertFalse(addrs.contains("tentative"), "IPv6 address must be usable at once: " + addrs);
        for (String line : lines(addrs)) {
            assertTrue(line.contains(" lo ") || line.contains(" nstun0 "), "unexpected address: " + line);
        }
        assertTrue(parts[2].startsWith("default dev nstun0"), parts[2]);
        assertTrue(parts[3].contains("default dev nstun0"), parts[3]);
    }

    @Test
    void mtuOptionSetsTheTunMtu() throws Exception {
        NstunProcess p = NstunProcess.run("run", "--mtu", "1500", "--", "ip", "-o", "link", "show", "nstun0");
        assertEquals(0, p.exitCode(), p.describe());
        assertTrue(p.stdout().contains("mtu 1500"), p.describe());
    }

    @Test
    void resolverFilesAreNstuns() throws Exception {
        NstunProcess p = NstunProcess.run("run", "--", "sh", "-c", "cat /etc/resolv.conf; echo ==; grep '^hosts:' /etc/nsswitch.conf");
        assertEquals(0, p.exitCode(), p.describe());
        String[] parts = p.stdout().split("==\n");
        assertEquals(List.of("nameserver 198.18.0.2"), lines(parts[0]).stream().filter(l -> !l.startsWith("#")).toList());
        assertEquals("hosts: files dns\n", parts[1]);
        assertFalse(Files.readString(Path.of("/etc/resolv.conf")).contains("Written by nstun"), "the host's file must be untouched");
    }

    /**
     * A host like Ubuntu's: /etc/resolv.conf links to systemd-resolved's stub file, nsswitch asks
     * systemd-resolved, and resolved and nscd listen on unix sockets. Built on tmpfs copies of /etc
     * and /run in a private mount namespace around nstun, so the real host is not touched.
     */
    @Test
    void systemdResolvedHostLinkAndSocketsAreReplacedAndHidden(@TempDir Path dir) throws Exception {
        Path hostSetup = dir.resolve("fake-resolved-host.sh");
        Files.writeString(hostSetup, String.join("\n",
                "set -e",
                "etc=" + Files.createDirectory(dir.resolve("etc")),
                "mount -t tmpfs etc-copy \"$etc\" && cp -a /etc/. \"$etc\"/",
                "rm -f \"$etc/resolv.conf\" && ln -s /run/systemd/resolve/stub-resolv.conf \"$etc/resolv.conf\"",
                "printf 'passwd: files\\nhosts: files resolve [!UNAVAIL=return] dns\\n' > \"$etc/nsswitch.conf\"",
                "mount --bind \"$etc\" /etc",
                "mount -t tmpfs run-copy /run",
                "mkdir -p /run/systemd/resolve /run/nscd",
                "echo 'nameserver 127.0.0.53' > /run/systemd/resolve/stub-resolv.conf",
                "python3 -c \"import socket; [socket.socket(socket.AF_UNIX).bind(p) for p in ('/run/systemd/resolve/io.systemd.Resolve', '/run/nscd/socket')]\"",
                "test -S /run/systemd/resolve/io.systemd.Resolve && test -S /run/nscd/socket",
                "exec \"$@\"", ""));
        NstunProcess p = NstunProcess.start(List.of("unshare", "--mount", "--propagation", "private", "--", "sh", hostSetup.toString()),
                Map.of(), "run", "--", "sh", "-c",
                "readlink /etc/resolv.conf; cat /etc/resolv.conf; grep '^hosts:' /etc/nsswitch.conf; "
                        + "ls -A /run/systemd/resolve /run/nscd; echo end");
        p.closeStdin();
        assertEquals(0, p.await(), p.describe());
        String out = p.stdout();
        assertTrue(out.contains("nameserver 198.18.0.2"), out);
        assertFalse(out.contains("127.0.0.53"), out);
        assertTrue(out.contains("hosts: files dns\n"), out);
        assertFalse(out.contains("io.systemd.Resolve"), "resolved's socket must be hidden: " + out);
        assertFalse(out.contains("socket"), "nscd's socket must be hidden: " + out);
    }

    @Test
    void pcapHoldsWhatTheCommandSent(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("trace.pcap");
        NstunProcess p = NstunProcess.run("run", "--pcap", pcap.toString(), "--", "sh", "-c",
                "ping -c1 -W1 198.18.0.9 >/dev/null 2>&1; "
                        + "python3 -c \"import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'nstun-probe', ('198.18.0.9', 9999))\"");
        assertEquals(0, p.exitCode(), p.describe());
        List<byte[]> packets = readPcap(pcap);
        assertTrue(packets.stream().anyMatch(NamespaceIT::isEchoRequestTo198_18_0_9), "no ICMP echo request in " + packets.size() + " packets");
        assertTrue(packets.stream().anyMatch(NamespaceIT::isUdpProbe), "no UDP probe in " + packets.size() + " packets");
        if (Requirements.onPath("tcpdump")) {
            Requirements.ProcessResult r = Requirements.run(dir, "tcpdump", "-nr", pcap.toString());
            assertEquals(0, r.exitCode(), r.output());
            assertTrue(r.output().contains("198.18.0.9: ICMP echo request"), r.output());
            assertTrue(r.output().contains("198.18.0.9.9999: UDP, length 11"), r.output());
        }
    }

    private static boolean isEchoRequestTo198_18_0_9(byte[] ip) {
        return ip.length >= 28 && (ip[0] >> 4) == 4 && ip[9] == 1 && dst(ip).equals("198.18.0.9") && ip[(ip[0] & 15) * 4] == 8;
    }

    private static boolean isUdpProbe(byte[] ip) {
        if (ip.length < 28 || (ip[0] >> 4) != 4 || ip[9] != 17 || !dst(ip).equals("198.18.0.9")) return false;
        int udp = (ip[0] & 15) * 4;
        int port = ((ip[udp + 2] & 0xff) << 8) | (ip[udp + 3] & 0xff);
        String payload = new String(Arrays.copyOfRange(ip, udp + 8, ip.length), StandardCharsets.US_ASCII);
        return port == 9999 && payload.equals("nstun-probe");
    }

    private static String dst(byte[] ip) {
        return (ip[16] & 0xff) + "." + (ip[17] & 0xff) + "." + (ip[18] & 0xff) + "." + (ip[19] & 0xff);
    }

    /** Reads a classic pcap file of LINKTYPE_RAW records. */
    static List<byte[]> readPcap(Path file) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        if (magic != 0xa1b2c3d4) b.order(ByteOrder.BIG_ENDIAN);
        assertEquals(0xa1b2c3d4, b.getInt(0), "pcap magic");
        assertEquals(101, b.getInt(20), "link type must be LINKTYPE_RAW");
        List<byte[]> packets = new ArrayList<>();
        b.position(24);
        while (b.remaining() >= 16) {
            b.getInt();
            b.getInt();
            int captured = b.getInt();
            b.getInt();
            byte[] packet = new byte[captured];
            b.get(packet);
            packets.add(packet);
        }
        return packets;
    }

    private static List<String> lines(String text) {
        return text.lines().filter(l -> !l.isBlank()).toList();
    }
}
