package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TCP through the stack with the Linux kernel as the peer on both sides: real clients inside the
 * namespace (curl, python), real servers on the host's loopback (this test's), data checksummed.
 */
class TcpIT {
    private static final int MIB = 1024 * 1024;
    private static byte[] blob;
    private static HttpServer http;
    private static ServerSocket echo;
    private static ServerSocket halfClose;

    @BeforeAll
    static void startServers() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("curl");
        Requirements.requireCommand("python3");
        blob = new byte[64 * MIB];
        new Random(42).nextBytes(blob);
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.createContext("/blob", ex -> {
            ex.sendResponseHeaders(200, blob.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(blob);
            }
        });
        http.createContext("/blob16", ex -> {
            ex.sendResponseHeaders(200, 16 * MIB);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(blob, 0, 16 * MIB);
            }
        });
        http.createContext("/upload", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            byte[] answer = (sha256(body) + " " + body.length).getBytes(StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(200, answer.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(answer);
            }
        });
        http.start();
        echo = serve(s -> {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0; ) out.write(buf, 0, n);
        });
        halfClose = serve(s -> {
            // Reads until the client's FIN, then answers: only works if the half-close got through.
            byte[] all = s.getInputStream().readAllBytes();
            s.getOutputStream().write(("got " + all.length + " " + sha256(all)).getBytes(StandardCharsets.US_ASCII));
        });
    }

    @AfterAll
    static void stopServers() throws IOException {
        if (http != null) http.stop(0);
        if (echo != null) echo.close();
        if (halfClose != null) halfClose.close();
    }

    @Test
    void download64MiBIntact() throws Exception {
        NstunProcess p = NstunProcess.run("run", "--host-loopback", "--", "sh", "-c",
                "curl -sS --max-time 60 http://198.18.0.2:" + http.getAddress().getPort() + "/blob | sha256sum");
        assertEquals(0, p.exitCode(), p.describe());
        assertEquals(sha256(blob) + "  -\n", p.stdout(), p.describe());
    }

    /** At an MTU of 1,500 nstun hands the kernel runs of segments in one write, for it to cut (TSO): the bytes still match. */
    @Test
    void download64MiBIntactAtMtu1500() throws Exception {
        NstunProcess p = NstunProcess.run("run", "--mtu", "1500", "--host-loopback", "--", "sh", "-c",
                "curl -sS --max-time 60 http://198.18.0.2:" + http.getAddress().getPort() + "/blob | sha256sum");
        assertEquals(0, p.exitCode(), p.describe());
        assertEquals(sha256(blob) + "  -\n", p.stdout(), p.describe());
    }

    @Test
    void upload64MiBIntact(@TempDir Path dir) throws Exception {
        Path file = Files.write(dir.resolve("upload.bin"), blob);
        NstunProcess p = NstunProcess.run("run", "--host-loopback", "--", "curl", "-sS", "--max-time", "60",
                "--data-binary", "@" + file, "http://198.18.0.2:" + http.getAddress().getPort() + "/upload");
        assertEquals(0, p.exitCode(), p.describe());
        assertEquals(sha256(blob) + " " + blob.length, p.stdout(), p.describe());
    }

    /**
     * A bad link both ways: the seeded fault injector drops 5%, reorders 25%, duplicates 5% and
     * corrupts 1% of the packets in each direction (this kernel has no sch_netem for tc netem).
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(ints = {1, 2, 3})
    void transfersSurviveLossReorderingDuplicationAndCorruption(int seed, @TempDir Path dir) throws Exception {
        String faults = "loss=5,reorder=25,duplicate=5,corrupt=1,seed=" + seed;
        byte[] part = java.util.Arrays.copyOf(blob, 16 * MIB);
        Path file = Files.write(dir.resolve("upload.bin"), part);
        String base = "http://198.18.0.2:" + http.getAddress().getPort();
        NstunProcess p = NstunProcess.run("run", "--host-loopback", "--debug-faults", faults, "--", "sh", "-c",
                "curl -sS --max-time 90 " + base + "/blob16 | sha256sum; "
                        + "curl -sS --max-time 90 --data-binary @" + file + " " + base + "/upload");
        assertEquals(0, p.exitCode(), p.describe());
        assertEquals(sha256(part) + "  -\n" + sha256(part) + " " + part.length, p.stdout(), p.describe());
    }

    @Test
    void halfCloseLetsTheReplyThrough() throws Exception {
        String script = String.join("\n",
                "import hashlib, os, socket, sys",
                "data = os.urandom(3 * 1024 * 1024)",
                "s = socket.create_connection(('198.18.0.2', int(sys.argv[1])), timeout=30)",
                "s.sendall(data); s.shutdown(socket.SHUT_WR)",
                "reply = b''",
                "while True:",
                "    b = s.recv(65536)",
                "    if not b: break",
                "    reply += b",
                "want = 'got %d %s' % (len(data), hashlib.sha256(data).hexdigest())",
                "print('ok' if reply.decode() == want else 'bad: ' + reply.decode())");
        NstunProcess p = NstunProcess.run("run", "--host-loopback", "--", "python3", "-c", script, Integer.toString(halfClose.getLocalPort()));
        assertEquals(0, p.exitCode(), p.describe());
        assertEquals("ok\n", p.stdout(), p.describe());
    }

    @Test
    void aThousandConcurrentConnectionsEachVerified() throws Exception {
        String script = String.join("\n",
                "import asyncio, hashlib, os, sys",
                "port = int(sys.argv[1])",
                "async def one(i):",
                "    data = os.urandom(32 * 1024 + i)",
                "    r, w = await asyncio.open_connection('198.18.0.2', port)",
                "    w.write(data); await w.drain()",
                "    back = await r.readexactly(len(data))",
                "    w.close(); await w.wait_closed()",
                "    return back == data",
                "async def main():",
                "    results = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(1000))), 120)",
                "    print('%d/%d ok' % (sum(results), len(results)))",
                "asyncio.run(main())");
        NstunProcess p = NstunProcess.run("run", "--host-loopback", "--", "sh", "-c",
                "ulimit -n 4096; exec python3 -c \"$0\" \"$1\"", script, Integer.toString(echo.getLocalPort()));
        assertEquals(0, p.exitCode(), p.describe());
        assertEquals("1000/1000 ok\n", p.stdout(), p.describe());
    }

    @Test
    void aClosedPortIsRefusedInUnderASecond() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        String script = "import socket, sys, time\n"
                + "t = time.monotonic()\n"
                + "try:\n    socket.create_connection(('198.18.0.2', int(sys.argv[1])), timeout=10); print('connected?')\n"
                + "except ConnectionRefusedError:\n    print('refused %.3f' % (time.monotonic() - t))\n";
        NstunProcess p = NstunProcess.run("run", "--host-loopback", "--", "python3", "-c", script, Integer.toString(closed));
        assertEquals(0, p.exitCode(), p.describe());
        assertTrue(p.stdout().startsWith("refused 0."), p.describe());
    }

    @Test
    void iperf3BothDirections() throws Exception {
        Requirements.requireCommand("iperf3");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Process server = new ProcessBuilder("iperf3", "-s", "-B", "127.0.0.1", "-p", Integer.toString(port)).start();
        try {
            Thread.sleep(300);
            for (String reverse : new String[] {"", "-R"}) {
                NstunProcess p = NstunProcess.run("run", "--host-loopback", "--", "sh", "-c",
                        "iperf3 -c 198.18.0.2 -p " + port + " -t 2 " + reverse + " -J | python3 -c "
                                + "\"import json,sys; e=json.load(sys.stdin)['end']['sum_received']; print(e['bytes'])\"");
                assertEquals(0, p.exitCode(), p.describe());
                assertTrue(Long.parseLong(p.stdout().trim()) > 10L * MIB, "iperf3 " + reverse + " moved too little: " + p.describe());
            }
        } finally {
            server.destroy();
        }
    }

    private interface Handler {
        void handle(Socket s) throws IOException;
    }

    private static ServerSocket serve(Handler handler) throws IOException {
        ServerSocket server = new ServerSocket(0, 2048, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> {
                        try (s) {
                            handler.handle(s);
                        } catch (IOException e) {
                            // The client went away: nothing to serve.
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        return server;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
