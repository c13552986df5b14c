package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code isolate: per-destination} on a socks5 outbound, end to end: the wrapped command fetches
 * from three names, one of them twice, through a SOCKS5 server on the host's loopback that
 * accepts any username/password the way Tor does, records what each CONNECT came with, and
 * answers each stream with a small HTTP response itself. It sees one set of credentials per name.
 */
class IsolationIT {
    /** The credentials each CONNECT came with, by destination host, in arrival order. */
    private final Map<String, List<String>> seen = new ConcurrentHashMap<>();

    @Test
    void eachDestinationReachesTheProxyWithCredentialsOfItsOwn(@TempDir Path dir) throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("curl");
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().name("recording-socks5").start(() -> acceptLoop(server));
            Path policy = Files.writeString(dir.resolve("tor.yaml"), String.join("\n",
                    "outbounds:",
                    "  - {name: tor, type: socks5, server: \"127.0.0.1:" + server.getLocalPort() + "\", isolate: per-destination}",
                    "rules:",
                    "  - {outbound: tor}",
                    "dns: {via: direct}", ""));
            String fetch = "curl -sS --max-time 10 http://%s/ ; echo";
            NstunProcess p = NstunProcess.run("run", "-p", policy.toString(), "--", "sh", "-c",
                    String.join("; ", fetch.formatted("a.isolation.test"), fetch.formatted("b.isolation.test"),
                            fetch.formatted("a.isolation.test"), fetch.formatted("c.isolation.test:8080")));
            assertEquals(0, p.exitCode(), p.describe());
            assertEquals(4, p.stdout().split("hello from the recording proxy", -1).length - 1, p.describe());
        }
        List<String> a = seen.get("a.isolation.test");
        List<String> b = seen.get("b.isolation.test");
        List<String> c = seen.get("c.isolation.test");
        assertAll(
                // Two fetches of a; a third stream when curl's happy eyeballs tried IPv6 and IPv4 both (a
                // first connect slower than its 200 ms, as on a loaded machine): all with the same credentials.
                () -> assertTrue(a.size() >= 2, "two streams to a: " + seen),
                () -> assertEquals(1, Set.copyOf(a).size(), "the same destination keeps its credentials: " + seen),
                () -> assertEquals(3, seen.values().stream().flatMap(List::stream).collect(Collectors.toSet()).size(),
                        "one set per destination: " + seen),
                () -> assertNotEquals(a.get(0), b.get(0), seen.toString()),
                () -> assertNotEquals(b.get(0), c.get(0), seen.toString()),
                () -> assertTrue(a.get(0).matches("[0-9a-f]{32}:[0-9a-f]{32}"), "a made-up token: " + a.get(0)));
    }

    private void acceptLoop(ServerSocket server) {
        List<Socket> clients = new CopyOnWriteArrayList<>();
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                clients.add(client);
                Thread.ofVirtual().start(() -> serve(client));
            } catch (IOException e) {
                clients.forEach(IsolationIT::closeQuietly);
                return;
            }
        }
    }

    /** RFC 1928 and 1929 as Tor speaks them: any username/password is accepted, and recorded. */
    private void serve(Socket socket) {
        try (socket) {
            socket.setSoTimeout(10_000);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            in.readUnsignedByte();
            byte[] methods = in.readNBytes(in.readUnsignedByte());
            String credentials = "-";
            if (new String(methods, StandardCharsets.ISO_8859_1).indexOf(2) >= 0) {
                out.write(new byte[] {5, 2});
                in.readUnsignedByte();
                String user = new String(in.readNBytes(in.readUnsignedByte()), StandardCharsets.UTF_8);
                String password = new String(in.readNBytes(in.readUnsignedByte()), StandardCharsets.UTF_8);
                credentials = user + ":" + password;
                out.write(new byte[] {1, 0});
            } else {
                out.write(new byte[] {5, 0});
            }
            in.readNBytes(3);
            int type = in.readUnsignedByte();
            String host = switch (type) {
                case 3 -> new String(in.readNBytes(in.readUnsignedByte()), StandardCharsets.UTF_8);
                case 1 -> InetAddress.getByAddress(in.readNBytes(4)).getHostAddress();
                default -> InetAddress.getByAddress(in.readNBytes(16)).getHostAddress();
            };
            in.readUnsignedShort();
            seen.computeIfAbsent(host, h -> new CopyOnWriteArrayList<>()).add(credentials);
            out.write(new byte[] {5, 0, 0, 1, 127, 0, 0, 1, 0, 80});
            byte[] head = new byte[4];
            while (!new String(head, StandardCharsets.ISO_8859_1).equals("\r\n\r\n")) {
                System.arraycopy(head, 1, head, 0, 3);
                head[3] = (byte) in.readUnsignedByte();
            }
            String body = "hello from the recording proxy";
            out.write(("HTTP/1.0 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // The client went away: nothing recorded for it beyond what came.
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // Closing at the end of the test.
        }
    }
}
