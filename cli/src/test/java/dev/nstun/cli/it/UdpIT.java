package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * UDP flows relayed by the stack to real peers on the host's loopback: an echo server in this test
 * and a dnsmasq the test starts. Nothing leaves the machine.
 */
class UdpIT {
    private static DatagramSocket echo4;
    private static DatagramSocket echo6;

    @BeforeAll
    static void startEchoServers() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("python3");
        echo4 = echoServer(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        echo6 = echoServer(new InetSocketAddress(InetAddress.getByName("::1"), 0));
    }

    @AfterAll
    static void stopEchoServers() {
        if (echo4 != null) echo4.close();
        if (echo6 != null) echo6.close();
    }

    @Test
    void datagramsReachTheHostLoopbackAndComeBackIntact() throws Exception {
        String script = String.join("\n",
                "import hashlib, os, socket, sys",
                "for family, host, port in ((socket.AF_INET, '198.18.0.2', int(sys.argv[1])), (socket.AF_INET6, 'fd4e:5354:554e::2', int(sys.argv[2]))):",
                "    s = socket.socket(family, socket.SOCK_DGRAM); s.settimeout(5); s.connect((host, port))",
                "    h = hashlib.sha256()",
                "    for size in (1, 100, 1400, 8000, 60000):",
                "        data = os.urandom(size); s.send(data); back = s.recv(65535)",
                "        assert back == data, (size, len(back))",
                "        h.update(back)",
                "    print(family.name, h.hexdigest())");
        NstunProcess p = NstunProcess.run("run", "--host-loopback", "--", "python3", "-c", script,
                Integer.toString(echo4.getLocalPort()), Integer.toString(echo6.getLocalPort()));
        assertEquals(0, p.exitCode(), p.describe());
        assertTrue(p.stdout().contains("AF_INET ") && p.stdout().contains("AF_INET6 "), p.describe());
    }

    @Test
    void fragmentedDatagramsAreReassembled() throws Exception {
        // With a 1500-byte MTU the command's kernel fragments anything over 1472 bytes of payload.
        String script = String.join("\n",
                "import os, socket, sys",
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5); s.connect(('198.18.0.2', int(sys.argv[1])))",
                "for size in (1472, 1473, 8000, 30000, 65000):",
                "    data = os.urandom(size); s.send(data)",
                "    assert s.recv(65535) == data, size",
                "print('ok')");
        NstunProcess p = NstunProcess.run("run", "--mtu", "1500", "--host-loopback", "--", "python3", "-c", script,
                Integer.toString(echo4.getLocalPort()));
        assertEquals(0, p.exitCode(), p.describe());
        assertEquals("ok\n", p.stdout(), p.describe());
    }

    @Test
    void aClosedPortIsRefusedAtOnce() throws Exception {
        int closed;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            closed = s.getLocalPort();
        }
        String script = String.join("\n",
                "import socket, sys, time",
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5); s.connect(('198.18.0.2', int(sys.argv[1])))",
                "t = time.monotonic()",
                "try:",
                "    s.send(b'x'); s.recv(10); print('answered?')",
                "except ConnectionRefusedError:",
                "    print('refused after %.3f s' % (time.monotonic() - t))");
        NstunProcess p = NstunProcess.run("run", "--host-loopback", "--", "python3", "-c", script, Integer.toString(closed));
        assertEquals(0, p.exitCode(), p.describe());
        assertTrue(p.stdout().startsWith("refused after 0."), p.describe());
    }

    @Test
    void withoutHostLoopbackTheResolverAddressAnswersOnlyDns() throws Exception {
        String script = "import socket, sys\n"
                + "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5); s.connect(('198.18.0.2', int(sys.argv[1])))\n"
                + "s.send(b'x')\n"
                + "try:\n    s.recv(10); print('reached the host')\nexcept ConnectionRefusedError:\n    print('refused')\n";
        NstunProcess p = NstunProcess.run("run", "--", "python3", "-c", script, Integer.toString(echo4.getLocalPort()));
        assertEquals(0, p.exitCode(), p.describe());
        assertEquals("refused\n", p.stdout(), p.describe());
    }

    @Test
    void dnsQueriesGoToTheUpstreamResolver(@TempDir Path dir) throws Exception {
        Requirements.requireCommand("dnsmasq");
        Requirements.requireCommand("dig");
        // dnsmasq binds the port for UDP and TCP: a free UDP port may be some connection's TCP port, and
        // dnsmasq then exits at once. Another port is tried then.
        int port = 0;
        Process dnsmasq = null;
        for (int attempt = 0; attempt < 5 && dnsmasq == null; attempt++) {
            try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
                port = s.getLocalPort();
            }
            Process started = new ProcessBuilder("dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                    "--listen-address=127.0.0.1", "--bind-interfaces", "--port=" + port, "--pid-file=" + dir.resolve("pid"),
                    "--user=root", "--address=/only-in-dnsmasq.nstun.test/192.0.2.77", "--log-facility=" + dir.resolve("log"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile()).start();
            if (awaitDns(started, port)) {
                dnsmasq = started;
            } else {
                started.destroy();
                started.waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (dnsmasq == null) throw new AssertionError("dnsmasq did not answer on 127.0.0.1:" + port + ": " + Files.readString(dir.resolve("out")));
        try {
            NstunProcess p = NstunProcess.run("run", "--dns-upstream", "127.0.0.1:" + port, "--", "sh", "-c",
                    "dig +short +tries=1 +timeout=3 only-in-dnsmasq.nstun.test; getent hosts only-in-dnsmasq.nstun.test");
            assertEquals(0, p.exitCode(), p.describe());
            String[] lines = p.stdout().split("\n");
            assertEquals("192.0.2.77", lines[0], p.describe());
            assertTrue(lines[1].startsWith("192.0.2.77") && lines[1].contains("only-in-dnsmasq.nstun.test"), p.describe());
        } finally {
            dnsmasq.destroy();
            dnsmasq.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** Waits until {@code dnsmasq} answers on {@code port}; false when it exits or stays silent. */
    private static boolean awaitDns(Process dnsmasq, int port) throws Exception {
        for (int i = 0; i < 100 && dnsmasq.isAlive(); i++) {
            Requirements.ProcessResult r = Requirements.run(Path.of("/"), "dig", "+short", "+tries=1", "+timeout=1",
                    "-p", Integer.toString(port), "@127.0.0.1", "only-in-dnsmasq.nstun.test");
            if (r.output().contains("192.0.2.77")) return true;
            Thread.sleep(50);
        }
        return false;
    }

    private static DatagramSocket echoServer(InetSocketAddress at) throws SocketException {
        DatagramSocket s = new DatagramSocket(at);
        Thread.ofPlatform().daemon().name("udp-echo-" + at.getPort()).start(() -> {
            byte[] buf = new byte[65535];
            while (!s.isClosed()) {
                DatagramPacket d = new DatagramPacket(buf, buf.length);
                try {
                    s.receive(d);
                    s.send(new DatagramPacket(d.getData(), d.getLength(), d.getSocketAddress()));
                } catch (java.io.IOException e) {
                    return;
                }
            }
        });
        return s;
    }
}
