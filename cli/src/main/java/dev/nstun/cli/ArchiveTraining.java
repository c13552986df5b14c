package dev.nstun.cli;

import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.ToIntFunction;

/**
 * The class-data archive's training after the command the launcher's training run started with
 * (Main, {@code NSTUN_TRAIN_ARCHIVE}): the commands whose first use would otherwise load classes from
 * the jar and make their lambdas at run time, each in the same JVM, so that the archive holds what
 * they need. Their output goes where the training's goes. Everything they reach is on the host's
 * loopback, served by this class: no packet leaves the host.
 */
final class ArchiveTraining {
    /** The name the training's commands look up. */
    private static final String NAME = "training.nstun.example";
    private static final byte[] ANSWER = "answer\n".getBytes(StandardCharsets.US_ASCII);

    private ArchiveTraining() {}

    /**
     * After {@code args}: where that served a namespace, a run without a policy and the runs that
     * connect ({@link #connections}); {@code explain} and {@code check} of the training's policy
     * file ({@code policy}, when it names one: explain's rule matching and its lambdas are otherwise
     * made at run time, a tenth of its start, and check's reflective field setters); then {@code
     * --version}. {@code execute} runs one command line.
     */
    static void rest(String[] args, String policy, ToIntFunction<String[]> execute) {
        if (Main.servesNamespace(args)) {
            execute.applyAsInt(new String[] {"run", "--", "true"});
            connections(execute);
        }
        if (new File(policy).isFile()) {
            execute.applyAsInt(new String[] {"explain", policy, "www.example.com:443"});
            execute.applyAsInt(new String[] {"check", policy});
        }
        execute.applyAsInt(new String[] {"--version"});
    }

    /**
     * Runs whose commands look a name up and connect to it, send a line and read the answer:
     * <ul>
     *   <li>without a policy: the queries forwarded ({@code --dns-upstream}) to a DNS responder of
     *       the training's, which answers with nstun's resolver address, which {@code
     *       --host-loopback} carries to a listener on the host's loopback; a datagram to a UDP echo
     *       there and its answer; and a ping to nstun's resolver, which nstun answers itself;</li>
     *   <li>with a policy ({@code --allow}), through {@code --socks5} (at its address) and through
     *       {@code --http} (named {@code localhost}): a fake address for the allowed name and a
     *       refusal for another from nstun itself, and the connection through the policy's dialer to
     *       a SOCKS5 or HTTP CONNECT responder of the training's.</li>
     * </ul>
     * Without them the archive held none of what a first connection needs (30 of nstun's classes), a
     * first forwarded query (its answer took 40-60 ms), a first datagram or a policy's first flow
     * (11-15 ms more), which then came from the jar. Everything they reach is on the host's loopback.
     * bash's /dev/tcp and /dev/udp are the client; without bash the runs fail, and the training goes
     * on without them.
     */
    private static void connections(ToIntFunction<String[]> execute) {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket listener = new ServerSocket(0, 1, loopback);
             ServerSocket socks = new ServerSocket(0, 1, loopback);
             ServerSocket http = new ServerSocket(0, 1, loopback);
             DatagramSocket dns = new DatagramSocket(0, loopback);
             DatagramSocket echo = new DatagramSocket(0, loopback)) {
            byte[] resolver = InetAddress.getByName(NstunAddresses.RESOLVER_IPV4_TEXT).getAddress();
            Thread.ofPlatform().daemon(true).start(() -> serve(listener, Greeting.NONE));
            Thread.ofPlatform().daemon(true).start(() -> serve(socks, Greeting.SOCKS5));
            Thread.ofPlatform().daemon(true).start(() -> serve(http, Greeting.HTTP_CONNECT));
            Thread.ofPlatform().daemon(true).start(() -> answerQueries(dns, resolver));
            Thread.ofPlatform().daemon(true).start(() -> echo(echo));
            String connect = "exec 3<>/dev/tcp/" + NAME + "/%d && echo question >&3 && read -r -t 5 answer <&3";
            execute.applyAsInt(new String[] {"run", "--host-loopback", "--dns-upstream=udp://127.0.0.1:" + dns.getLocalPort(),
                    "--", "bash", "-c", connect.formatted(listener.getLocalPort()) + "; exec 4<>/dev/udp/"
                            + NstunAddresses.RESOLVER_IPV4_TEXT + "/" + echo.getLocalPort() + " && echo datagram >&4 && read -r -t 5 answer <&4"
                            + "; ! command -v ping >/dev/null || ping -c 1 -W 1 " + NstunAddresses.RESOLVER_IPV4_TEXT + " >/dev/null"});
            // An address allowed too (TEST-NET-1, never reached): its rule's matching.
            String refusedThenConnect = "getent hosts refused." + NAME + " >/dev/null; " + connect.formatted(443);
            execute.applyAsInt(new String[] {"run", "--socks5", "socks5://127.0.0.1:" + socks.getLocalPort(), "--allow", NAME,
                    "--allow", "192.0.2.1:443", "--", "bash", "-c", refusedThenConnect});
            // The HTTP proxy by name, resolved once the run's stack serves: a named proxy's path.
            execute.applyAsInt(new String[] {"run", "--http", "http://localhost:" + http.getLocalPort(), "--allow", NAME,
                    "--", "bash", "-c", refusedThenConnect});
        } catch (IOException e) {
            // No loopback: the training goes on without connections.
        }
    }

    /** What a responder of the training's says before the connection carries the command's bytes. */
    private enum Greeting {
        NONE,
        /** No authentication, then CONNECT granted. */
        SOCKS5,
        /** The request's head read, then {@code 200}. */
        HTTP_CONNECT
    }

    /**
     * Answers each connection to {@code server} with a line once it has read a byte, after the
     * {@code greeting}; until the server closes.
     */
    private static void serve(ServerSocket server, Greeting greeting) {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                s.setSoTimeout(5_000);
                DataInputStream in = new DataInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();
                if (greeting == Greeting.SOCKS5) {
                    in.skipNBytes(1); // version 5
                    in.skipNBytes(in.readUnsignedByte()); // the methods offered
                    out.write(new byte[] {5, 0}); // no authentication
                    in.skipNBytes(3); // version, CONNECT, reserved
                    int type = in.readUnsignedByte();
                    in.skipNBytes((type == 1 ? 4 : type == 4 ? 16 : in.readUnsignedByte()) + 2); // the address, the port
                    out.write(new byte[] {5, 0, 0, 1, 0, 0, 0, 0, 0, 0}); // granted, bound to 0.0.0.0:0
                } else if (greeting == Greeting.HTTP_CONNECT) {
                    for (int last = 0; last != 0x0d0a0d0a; ) last = last << 8 | in.readUnsignedByte(); // up to the blank line
                    out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                in.read();
                out.write(ANSWER);
            } catch (IOException e) {
                // The command saw it fail, or the server closed: nothing to teach.
            }
        }
    }

    /** Sends each datagram on {@code socket} back where it came from, until the socket closes. */
    private static void echo(DatagramSocket socket) {
        byte[] buffer = new byte[512];
        while (true) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
                socket.send(packet);
            } catch (IOException e) {
                return;
            }
        }
    }

    /**
     * The training's DNS responder: answers each query on {@code socket} with {@code address} for
     * type A and with no record for any other type, until the socket closes.
     */
    private static void answerQueries(DatagramSocket socket, byte[] address) {
        byte[] query = new byte[512];
        while (true) {
            DatagramPacket packet = new DatagramPacket(query, query.length);
            try {
                socket.receive(packet);
            } catch (IOException e) {
                return;
            }
            int length = packet.getLength();
            int at = 12; // the question's name, after the header
            while (at < length && query[at] != 0) at += (query[at] & 0xff) + 1;
            int questionEnd = at + 5; // the name's last byte, then its type and class
            if (length < 12 || questionEnd > length) continue;
            boolean typeA = query[at + 1] == 0 && query[at + 2] == 1;
            byte[] answer = Arrays.copyOf(query, questionEnd + 16);
            answer[2] = (byte) 0x81; // a response, recursion desired
            answer[3] = (byte) 0x80; // recursion available, no error
            answer[7] = (byte) (typeA ? 1 : 0); // the answer count; no authority or additional records
            answer[8] = answer[9] = answer[10] = answer[11] = 0;
            if (typeA) {
                byte[] record = {(byte) 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4}; // the question's name, A, IN, 60 s
                System.arraycopy(record, 0, answer, questionEnd, record.length);
                System.arraycopy(address, 0, answer, questionEnd + record.length, 4);
            }
            try {
                socket.send(new DatagramPacket(answer, typeA ? answer.length : questionEnd, packet.getSocketAddress()));
            } catch (IOException e) {
                return;
            }
        }
    }
}
