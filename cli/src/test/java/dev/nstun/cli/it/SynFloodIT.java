package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SYN flood from inside the namespace ({@code hping3 --flood}, root in nstun's namespace) must not
 * exhaust nstun: afterwards, in the same run, nstun still answers a ping to its own address, a
 * normal {@code curl} to the open server gets every byte within a few seconds, and the JVM's
 * resident memory stayed bounded throughout. Two targets: an open port (every dial succeeds, so
 * connections churn) and a peer that drops everything (every dial stays pending, so the half-open
 * limit is reached). hping3 sends only to the test namespaces' addresses; nstun relays only there.
 */
class SynFloodIT {
    private static final int HTTP_PORT = 8080;
    /**
     * The flooded port: a listener that accepts and closes at once. nstun completes a real handshake
     * upstream for every SYN it answers, so flooding the HTTP server's own port would measure how
     * fast python drains thousands of dead connections, not nstun.
     */
    private static final int SINK_PORT = 8081;
    private static final String SINK = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_INET6)",
            "s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)",
            "s.bind(('::', int(sys.argv[1])))",
            "s.listen(4096)",
            "while True:",
            "    s.accept()[0].close()");
    private static final int BLOB_BYTES = 1024 * 1024 + 3;
    private static final int FLOOD_SECONDS = 3;
    /** The floor that shows the flood really ran: hping3 sends well over 50 000 SYNs/s here. */
    private static final long MIN_SYNS = 10_000;
    private static final long MAX_RSS_KIB = 600 * 1024;
    /** Two lost SYNs cost the client 1 + 2 s before its third try; the transfer itself is quick. */
    private static final long MAX_CURL_MILLIS = 5_000;
    private static final Pattern TRANSMITTED = Pattern.compile("(\\d+) packets transmitted");
    private static final Pattern CURL_TOOK = Pattern.compile("curl took (\\d+) ms");

    @TempDir
    static Path www;
    private static byte[] blob;
    private static TestNetwork open;
    private static TestNetwork dropping;

    @BeforeAll
    static void createTestNamespaces() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("hping3");
        Requirements.requireCommand("python3");
        Requirements.requireCommand("curl");
        Requirements.requireCommand("timeout");
        blob = new byte[BLOB_BYTES];
        new Random(7).nextBytes(blob);
        Files.write(www.resolve("blob"), blob);
        open = TestNetwork.create("flood");
        open.serveFiles(www, HTTP_PORT);
        open.awaitListening(open.start("python3", "-c", SINK, Integer.toString(SINK_PORT)), SINK_PORT);
        dropping = TestNetwork.create("floodd");
        dropping.dropEverythingToTheHost();
    }

    @AfterAll
    static void removeTestNamespaces() throws Exception {
        try {
            if (open != null) open.close();
        } finally {
            if (dropping != null) dropping.close();
        }
    }

    @Test
    void floodOfAnOpenPortLeavesNstunServing() throws Exception {
        floodThenServe(open.peer4());
    }

    @Test
    void floodOfADroppingPeerLeavesNstunServing() throws Exception {
        floodThenServe(dropping.peer4());
    }

    /** Floods port {@value #SINK_PORT} of {@code target}, then checks nstun still works, all in one nstun run. */
    private static void floodThenServe(String target) throws Exception {
        String script = String.join("\n",
                // timeout's status is 124 when it had to stop hping3: the flood ran its whole time.
                "out=$(timeout -s INT " + FLOOD_SECONDS + " hping3 -n --flood -S -p " + SINK_PORT + " " + target + " 2>&1)",
                "echo \"flood ended $?\"",
                "echo \"$out\" | grep 'packets transmitted'",
                // nstun answers its own address itself; the first echo may still find the TUN's queue
                // full of the flood's SYNs (the kernel drops it there), so ping retries for 5 s.
                "ping -c1 -w5 198.18.0.2 | grep -o '1 received'",
                "start=$(date +%s%N)",
                "curl -sS --max-time 20 -w '%{stderr}curl: connected after %{time_connect} s, first byte after %{time_starttransfer} s\\n' http://" + open.peer4() + ":" + HTTP_PORT + "/blob"
                        + " | python3 -c 'import hashlib, sys; d = sys.stdin.buffer.read(); print(len(d), hashlib.sha256(d).hexdigest())'",
                "echo \"curl took $(( ($(date +%s%N) - start) / 1000000 )) ms\"");
        long maxRssKib = 0;
        // hping3 needs root in the namespace: under sudo, nstun would run the command as the invoking
        // user. env and the launcher exec, so the pid stays the JVM's.
        try (NstunProcess p = NstunProcess.start(List.of("env", "-u", "SUDO_UID", "-u", "SUDO_GID", "-u", "SUDO_USER"), Map.of(),
                "run", "--", "sh", "-c", script)) {
            p.closeStdin();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (p.isAlive() && System.nanoTime() < deadline) {
                maxRssKib = Math.max(maxRssKib, rssKib(p.pid()));
                Thread.sleep(100);
            }
            assertEquals(0, p.await(), p.describe());
            String out = p.stdout();
            System.out.printf("flood of %s: %s%nlargest nstun VmRSS %d MiB%n", target, out.trim().replace("\n", "; "), maxRssKib / 1024);
            assertTrue(out.contains("flood ended 124\n"), "hping3 did not flood for " + FLOOD_SECONDS + " s:\n" + p.describe());
            long syns = Long.parseLong(find(TRANSMITTED, out, p));
            assertTrue(syns >= MIN_SYNS, "hping3 sent " + syns + " SYNs, want at least " + MIN_SYNS + ":\n" + p.describe());
            assertTrue(out.contains("1 received\n"), "nstun did not answer a ping to its own address after the flood:\n" + p.describe());
            assertTrue(maxRssKib > 0, "never read nstun's VmRSS");
            assertTrue(maxRssKib < MAX_RSS_KIB, "nstun's VmRSS reached " + maxRssKib / 1024 + " MiB, want under " + MAX_RSS_KIB / 1024 + " MiB:\n" + p.describe());
            assertTrue(out.contains(BLOB_BYTES + " " + TcpIT.sha256(blob) + "\n"),
                    "curl after the flood: got something else than the " + BLOB_BYTES + " bytes served:\n" + p.describe());
            long curlMillis = Long.parseLong(find(CURL_TOOK, out, p));
            assertTrue(curlMillis <= MAX_CURL_MILLIS, "curl after the flood took " + curlMillis + " ms, want at most " + MAX_CURL_MILLIS + ":\n" + p.describe());
        }
    }

    private static String find(Pattern pattern, String text, NstunProcess p) {
        Matcher m = pattern.matcher(text);
        if (!m.find()) throw new AssertionError("no '" + pattern + "' in the output:\n" + p.describe());
        return m.group(1);
    }

    /** Returns the process's resident set size from /proc, 0 once it has gone (or is going). */
    private static long rssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
            return 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
