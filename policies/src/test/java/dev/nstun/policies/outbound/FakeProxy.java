package dev.nstun.policies.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nstun.policies.config.HostPort;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A proxy on 127.0.0.1 for tests that plays a script with each client: answers correctly, answers
 * with a failure, misbehaves, closes mid-handshake or never answers. A script's own failures (an
 * expectation about the client's bytes that does not hold) are rethrown by {@link #close()}.
 */
final class FakeProxy implements AutoCloseable {
    /** What the proxy does with one client. */
    interface Script {
        void play(Peer client) throws Exception;
    }

    private final ServerSocket server;
    private final Script script;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    private FakeProxy(Script script) throws IOException {
        this.script = script;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.add(Thread.ofVirtual().name("fake-proxy-accept").start(this::acceptLoop));
    }

    /** Starts a proxy that plays {@code script} with every client. */
    static FakeProxy start(Script script) throws IOException {
        return new FakeProxy(script);
    }

    /** Returns the address clients connect to. */
    HostPort address() {
        return new HostPort("127.0.0.1", server.getLocalPort());
    }

    /** Stops the proxy, then fails if a script failed. */
    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
        try {
            for (Thread t : threads) {
                t.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError("the fake proxy's script failed: " + failures.get(0), failures.get(0));
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                sockets.add(socket);
                threads.add(Thread.ofVirtual().name("fake-proxy-client").start(() -> {
                    try (socket) {
                        socket.setSoTimeout(10_000);
                        script.play(new Peer(socket));
                    } catch (Throwable e) {
                        if (!server.isClosed() || !(e instanceof IOException)) {
                            failures.add(e);
                        }
                    }
                }));
            } catch (IOException e) {
                return;
            }
        }
    }

    /** The proxy's side of one connection. */
    static final class Peer {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Peer(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        /** Returns the client's address as the proxy sees it. */
        InetSocketAddress remote() {
            return (InetSocketAddress) socket.getRemoteSocketAddress();
        }

        /** Reads exactly {@code n} bytes. */
        byte[] read(int n) throws IOException {
            byte[] b = in.readNBytes(n);
            if (b.length < n) {
                throw new EOFException("client closed after " + b.length + " of " + n + " bytes");
            }
            return b;
        }

        /** Reads and ignores {@code n} bytes. */
        Peer skip(int n) throws IOException {
            read(n);
            return this;
        }

        /** Reads the bytes {@code hex} spells (spaces ignored) and fails if the client sent others. */
        Peer expect(String hex) throws IOException {
            byte[] want = hex(hex);
            assertEquals(HexFormat.ofDelimiter(" ").formatHex(want), HexFormat.ofDelimiter(" ").formatHex(read(want.length)),
                    "bytes from the client");
            return this;
        }

        /** Reads {@code text} (ASCII) and fails if the client sent other bytes. */
        Peer expectText(String text) throws IOException {
            byte[] want = text.getBytes(StandardCharsets.ISO_8859_1);
            assertEquals(text, new String(read(want.length), StandardCharsets.ISO_8859_1), "text from the client");
            return this;
        }

        /** Reads the greeting of a client without credentials and chooses NO_AUTH. */
        Peer acceptGreeting() throws IOException {
            return expect("05 01 00").send("05 00");
        }

        /** Reads an HTTP request head, up to the empty line, and returns it. */
        String readHead() throws IOException {
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    throw new EOFException("client closed in the request head: " + head);
                }
                head.append((char) c);
            }
            return head.toString();
        }

        /** Sends the bytes {@code hex} spells. */
        Peer send(String hex) throws IOException {
            return send(hex(hex));
        }

        /** Sends {@code text} as ASCII. */
        Peer sendText(String text) throws IOException {
            return send(text.getBytes(StandardCharsets.ISO_8859_1));
        }

        /** Sends {@code bytes}. */
        Peer send(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
            return this;
        }

        /** Sends {@code hex} one byte at a time, with a pause between, so the client sees them in pieces. */
        Peer trickle(String hex) throws IOException, InterruptedException {
            for (byte b : hex(hex)) {
                send(new byte[] {b});
                Thread.sleep(2);
            }
            return this;
        }

        /** Copies what the client sends back to it until it closes. */
        void echo() throws IOException {
            in.transferTo(out);
        }

        /** Says nothing until the client goes away. */
        void hang() throws IOException {
            try {
                in.transferTo(OutputStream.nullOutputStream());
            } catch (IOException e) {
                // The client closed or reset: that is the end of hanging.
            }
        }

        /** Closes the connection. */
        void close() throws IOException {
            socket.close();
        }
    }

    /** Returns the bytes {@code hex} spells, spaces ignored. */
    static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }
}
