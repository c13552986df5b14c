package dev.nstun.policies.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Real servers for the tests against real proxies and resolvers, all on 127.0.0.1: dante,
 * microsocks, tinyproxy and dnsmasq started with a configuration of the test's, and echo servers
 * behind them. Public for the tests of other packages (dns, the probe).
 */
public final class RealServers {
    /** How much each round trip carries. */
    public static final int ROUND_TRIP_BYTES = 4 << 20;

    private RealServers() {
    }

    /** Opens a channel to a destination, as each client under test does. */
    interface Connector {
        SocketChannel connect(Destination destination) throws IOException;
    }

    /** Returns a TCP port nothing listens on at the moment. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * Sends {@link #ROUND_TRIP_BYTES} random bytes through {@code channel} to an echo server while
     * reading them back, and checks the SHA-256 of what came back. It does not half-close: microsocks
     * ends both directions when one ends.
     */
    public static void assertRoundTrip(SocketChannel channel) throws Exception {
        byte[] data = new byte[ROUND_TRIP_BYTES];
        new Random(1928).nextBytes(data);
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                ByteBuffer out = ByteBuffer.wrap(data);
                while (out.hasRemaining()) {
                    channel.write(out);
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        MessageDigest back = sha256();
        ByteBuffer in = ByteBuffer.allocate(64 << 10);
        long total = 0;
        while (total < data.length) {
            int n = channel.read(in.clear().limit((int) Math.min(in.capacity(), data.length - total)));
            if (n < 0) {
                break;
            }
            back.update(in.flip());
            total += n;
        }
        writer.join();
        assertEquals(data.length, total, "bytes echoed");
        assertEquals(HexFormat.of().formatHex(sha256().digest(data)), HexFormat.of().formatHex(back.digest()), "SHA-256 of the echo");
    }

    private static MessageDigest sha256() throws NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256");
    }

    /** Returns an unused UDP and TCP port on 127.0.0.1 for a server that listens on both (dnsmasq). */
    public static int freeUdpAndTcpPort() throws IOException {
        for (int i = 0; i < 20; i++) {
            int port = freePort();
            try (DatagramChannel udp = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", port))) {
                return port;
            } catch (IOException taken) {
                // Taken for UDP: try another.
            }
        }
        throw new IOException("no port free for both UDP and TCP on 127.0.0.1");
    }

    /**
     * Starts dante on 127.0.0.1:{@code port}: it connects out from 127.0.0.1, allows clients on
     * loopback {@code commands} ("connect", "connect udpassociate") anywhere, and UDP replies back to
     * loopback; {@code socksMethod} is "none" or "username" (which checks the system's users).
     */
    public static Daemon dante(Path dir, String name, int port, String socksMethod, String commands) throws Exception {
        Requirements.requireCommand("danted");
        String config = """
                logoutput: stderr
                internal: 127.0.0.1 port = %d
                external: 127.0.0.1
                clientmethod: none
                socksmethod: %s
                %s
                client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
                socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: %s }
                socks pass { from: 0.0.0.0/0 to: 127.0.0.0/8 command: udpreply }
                """.formatted(port, socksMethod, Requirements.root() ? "user.privileged: root\nuser.unprivileged: nobody" : "", commands);
        Path conf = Files.writeString(dir.resolve(name + ".conf"), config);
        return Daemon.start(name, dir, port, Requirements.find("danted").toString(), "-f", conf.toString(),
                "-p", dir.resolve(name + ".pid").toString());
    }

    /** Starts microsocks on 127.0.0.1:{@code port}, with {@code options} such as {@code -u user -P password}. */
    public static Daemon microsocks(Path dir, String name, int port, String... options) throws Exception {
        Requirements.requireCommand("microsocks");
        List<String> command = new ArrayList<>(List.of(Requirements.find("microsocks").toString(), "-i", "127.0.0.1",
                "-p", Integer.toString(port)));
        command.addAll(List.of(options));
        return Daemon.start(name, dir, port, command.toArray(String[]::new));
    }

    /**
     * Starts tinyproxy on 127.0.0.1:{@code port}, allowing CONNECT to {@code connectPorts} only,
     * with {@code extra} configuration lines (e.g. {@code BasicAuth user password}).
     */
    public static Daemon tinyproxy(Path dir, String name, int port, String extra, int... connectPorts) throws Exception {
        Requirements.requireCommand("tinyproxy");
        StringBuilder config = new StringBuilder("""
                Port %d
                Listen 127.0.0.1
                Timeout 30
                LogLevel Info
                MaxClients 20
                Allow 127.0.0.1
                """.formatted(port));
        for (int connectPort : connectPorts) {
            config.append("ConnectPort ").append(connectPort).append('\n');
        }
        config.append(extra).append('\n');
        Path conf = Files.writeString(dir.resolve(name + ".conf"), config);
        return Daemon.start(name, dir, port, Requirements.find("tinyproxy").toString(), "-d", "-c", conf.toString());
    }

    /**
     * Starts dnsmasq on 127.0.0.1:{@code port}, UDP and TCP, answering from its configuration only:
     * {@code example.test} and every name under it is 10.9.8.7, {@code txt.example.test} has the TXT
     * record "hello nstun", {@code example.test} the MX {@code mail.example.test} (preference 10).
     * Other names are REFUSED, unless {@code options} say otherwise ({@code --local=/#/}: NXDOMAIN).
     */
    public static Daemon dnsmasq(Path dir, String name, int port, String... options) throws Exception {
        Requirements.requireCommand("dnsmasq");
        // --keep-in-foreground, not --no-daemon: in debug mode dnsmasq serves TCP connections one at a time.
        List<String> command = new ArrayList<>(List.of(Requirements.find("dnsmasq").toString(), "--keep-in-foreground",
                "--log-facility=-", "--no-resolv", "--no-hosts", "--port=" + port, "--listen-address=127.0.0.1", "--bind-interfaces",
                "--pid-file=", "--address=/example.test/10.9.8.7", "--txt-record=txt.example.test,hello nstun",
                "--mx-host=example.test,mail.example.test,10", "--log-queries"));
        command.addAll(List.of(options));
        return Daemon.start(name, dir, port, command.toArray(String[]::new));
    }

    /**
     * A TCP echo server on 127.0.0.1 (and on [::1] at the same port when it can, so that a proxy
     * resolving "localhost" to either reaches it) and a UDP echo server on 127.0.0.1.
     */
    public static final class EchoServers implements AutoCloseable {
        private final List<ServerSocketChannel> tcp = new ArrayList<>();
        private final DatagramChannel udp;
        private final List<SocketChannel> clients = new CopyOnWriteArrayList<>();

        public EchoServers() throws IOException {
            ServerSocketChannel v4 = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            tcp.add(v4);
            try {
                tcp.add(ServerSocketChannel.open().bind(new InetSocketAddress("::1", tcpPort())));
            } catch (IOException | UnsupportedOperationException e) {
                // No IPv6 loopback here: names then resolve to 127.0.0.1 alone.
            }
            for (ServerSocketChannel server : tcp) {
                Thread.ofVirtual().name("tcp-echo-accept").start(() -> acceptLoop(server));
            }
            udp = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            Thread.ofVirtual().name("udp-echo").start(this::udpLoop);
        }

        /** Returns the TCP echo port. */
        public int tcpPort() throws IOException {
            return ((InetSocketAddress) tcp.get(0).getLocalAddress()).getPort();
        }

        /** Returns the UDP echo port. */
        public int udpPort() throws IOException {
            return ((InetSocketAddress) udp.getLocalAddress()).getPort();
        }

        private void acceptLoop(ServerSocketChannel server) {
            while (server.isOpen()) {
                try {
                    SocketChannel client = server.accept();
                    clients.add(client);
                    Thread.ofVirtual().name("tcp-echo").start(() -> echo(client));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private static void echo(SocketChannel client) {
            try (client) {
                ByteBuffer buffer = ByteBuffer.allocateDirect(64 << 10);
                while (client.read(buffer.clear()) >= 0) {
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        client.write(buffer);
                    }
                }
                client.shutdownOutput();
            } catch (IOException e) {
                // The client went away.
            }
        }

        private void udpLoop() {
            ByteBuffer buffer = ByteBuffer.allocate(65536);
            while (udp.isOpen()) {
                try {
                    SocketAddress from = udp.receive(buffer.clear());
                    udp.send(buffer.flip(), from);
                } catch (IOException e) {
                    return;
                }
            }
        }

        @Override
        public void close() throws IOException {
            for (ServerSocketChannel server : tcp) {
                server.close();
            }
            for (SocketChannel client : clients) {
                client.close();
            }
            udp.close();
        }
    }

    /**
     * A server process started by a test, with its output in a log file beside its configuration.
     * Closing stops it and every process it started, by pid.
     */
    public static final class Daemon implements AutoCloseable {
        private final String name;
        private final Process process;
        private final Path log;

        private Daemon(String name, Process process, Path log) {
            this.name = name;
            this.process = process;
            this.log = log;
        }

        /**
         * Starts {@code command} in {@code dir} and waits until it accepts TCP connections on
         * 127.0.0.1:{@code port}; fails with the end of its log if it exits or does not listen in 10 s.
         */
        public static Daemon start(String name, Path dir, int port, String... command) throws IOException, InterruptedException {
            Path log = dir.resolve(name + ".log");
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            Daemon daemon = new Daemon(name, process, log);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < end) {
                if (!process.isAlive()) {
                    fail(name + " exited with status " + process.exitValue() + " at start:\n" + daemon.logTail());
                }
                try (Socket probe = new Socket()) {
                    probe.connect(new InetSocketAddress("127.0.0.1", port));
                    return daemon;
                } catch (IOException notYet) {
                    Thread.sleep(20);
                }
            }
            daemon.close();
            fail(name + " did not listen on 127.0.0.1:" + port + " within 10s:\n" + daemon.logTail());
            return daemon;
        }

        /** Returns the last lines of the log. */
        public String logTail() {
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
            } catch (IOException e) {
                return "(no log: " + e.getMessage() + ")";
            }
        }

        @Override
        public void close() {
            List<ProcessHandle> children = process.descendants().toList();
            process.destroy();
            children.forEach(ProcessHandle::destroy);
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public String toString() {
            return name + " (pid " + process.pid() + ")";
        }
    }
}
