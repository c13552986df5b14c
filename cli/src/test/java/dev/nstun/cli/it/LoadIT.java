package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Load that once stalled flows: many slow readers with the buffer memory used up, and a burst of
 * datagrams larger than the TUN's queue. Real clients (curl, python) inside {@code nstun run}, a
 * real server in a test namespace; every download is counted to the byte.
 */
class LoadIT {
    private static final int FILE_BYTES = 2 * 1024 * 1024;
    private static final int PORT = 8080;
    private static TestNetwork net;
    private static Path dir;
    private static Process server;

    @BeforeAll
    static void startServer() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("curl");
        net = TestNetwork.create("loadit");
        dir = Files.createTempDirectory("nstun-loadit");
        byte[] file = new byte[FILE_BYTES];
        new Random(3).nextBytes(file);
        Files.write(dir.resolve("f"), file);
        server = net.serveFiles(dir, PORT);
    }

    @AfterAll
    static void stop() throws Exception {
        if (net != null) net.close();
        if (dir != null) {
            Files.deleteIfExists(dir.resolve("f"));
            Files.deleteIfExists(dir.resolve("q.py"));
            Files.deleteIfExists(dir.resolve("p.yaml"));
            Files.deleteIfExists(dir);
        }
    }

    /**
     * 100 downloads at 256 KiB/s each with a 64 MiB heap (32 MiB of buffer memory, a third of what
     * their send buffers would take): every one completes. With no memory left, a connection's
     * buffer that had no array yet once offered no room at all, and its flow slept until the 120 s
     * keepalive.
     */
    @Test
    void slowReadersWithTheBufferMemoryUsedUpAllComplete() throws Exception {
        String url = "http://" + net.peer4() + ":" + PORT + "/f";
        String script = "for i in $(seq 100); do curl -s --limit-rate 256k -m 60 -o /dev/null -w '%{size_download}\\n' " + url
                + " & done; wait";
        NstunProcess p = NstunProcess.start(List.of(), Map.of("NSTUN_JAVA_OPTS", "-Xmx64m"), "run", "--", "sh", "-c", script);
        p.closeStdin();
        p.await();
        assertEquals(0, p.exitCode(), p.describe());
        List<String> sizes = p.stdout().lines().toList();
        assertEquals(100, sizes.size(), "downloads that ended: " + p.describe());
        long whole = sizes.stream().filter(s -> s.equals(Integer.toString(FILE_BYTES))).count();
        assertEquals(100, whole, "downloads that got all " + FILE_BYTES + " bytes: " + sizes);
    }

    /**
     * 3,000 DNS queries sent at once by three processes, answered by nstun's fake-IP resolver: none
     * is lost in the TUN's queue (the kernel's default of 500 packets lost about 2,270 of them).
     */
    @Test
    void aBurstOfDatagramsFitsTheTunQueue() throws Exception {
        Path script = Files.writeString(dir.resolve("q.py"), String.join("\n",
                "import os, re, socket, struct, subprocess",
                "SENDERS, EACH = 3, 1000",
                "def tun_dropped():",
                "    # /proc/net/dev is this namespace's (sysfs is the host's): the TUN's own drops, then its qdisc's",
                "    tun = [l.replace(':', ' ').split() for l in open('/proc/net/dev') if ':' in l and not l.strip().startswith('lo:')][0]",
                "    qdisc = subprocess.run(['tc', '-s', 'qdisc', 'show', 'dev', tun[0]], capture_output=True, text=True, check=True).stdout",
                "    return int(tun[12]) + sum(int(n) for n in re.findall('dropped ([0-9]+)', qdisc))",
                "def rcvbuf_errors():",
                "    lines = [l.split() for l in open('/proc/net/snmp') if l.startswith('Udp:')]",
                "    return int(lines[1][lines[0].index('RcvbufErrors')])",
                "dropped, overflowed = tun_dropped(), rcvbuf_errors()",
                "go_r, go_w = os.pipe()",
                "results_r, results_w = os.pipe()",
                "for k in range(SENDERS):",
                "    if os.fork() == 0:",
                "        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                "        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)",
                "        s.connect(('198.18.0.2', 53))",
                "        queries = [struct.pack('!HHHHHH', i, 0x0100, 1, 0, 0, 0)",
                "                   + b''.join(bytes([len(p)]) + p for p in [b'n%d-%d' % (k, i), b'example', b'com']) + b'\\0'",
                "                   + struct.pack('!HH', 1, 1) for i in range(EACH)]",
                "        os.read(go_r, 1)",
                "        for q in queries: s.send(q)",
                "        got = set()",
                "        s.settimeout(5)",
                "        try:",
                "            while len(got) < EACH: got.add(struct.unpack('!H', s.recv(4096)[:2])[0])",
                "        except socket.timeout: pass",
                "        os.write(results_w, b'%d\\n' % len(got))",
                "        os._exit(0)",
                "os.write(go_w, b'x' * SENDERS)",
                "for k in range(SENDERS): os.wait()",
                "os.close(results_w)",
                "answered = sum(int(n) for n in os.fdopen(results_r).read().split())",
                "print(answered, tun_dropped() - dropped, rcvbuf_errors() - overflowed)", ""));
        Path policy = Files.writeString(dir.resolve("p.yaml"), String.join("\n",
                "dns: {mode: fake-ip, upstream: \"udp://" + net.peer4() + ":53\"}",
                "rules:",
                "  - {outbound: direct}", ""));
        NstunProcess p = NstunProcess.run("run", "-p", policy.toString(), "--", "python3", script.toString());
        assertEquals(0, p.exitCode(), p.describe());
        // answered, dropped on the way to the TUN (its queue or the qdisc in front of it), answers
        // dropped by the test's own full socket buffer
        String[] counts = p.stdout().strip().split(" ");
        assertEquals(3, counts.length, p.describe());
        assertEquals("0", counts[1], "queries the TUN's queue dropped: " + p.describe());
        int answered = Integer.parseInt(counts[0]);
        int overflowed = Integer.parseInt(counts[2]);
        assertEquals(3000, answered + overflowed, "answers, and answers the receiving socket had no room for: " + p.describe());
        assertTrue(answered > 2000, "answers (the rest overflowed the test's socket buffer): " + p.describe());
    }
}
