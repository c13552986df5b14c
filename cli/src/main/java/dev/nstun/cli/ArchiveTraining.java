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
     * Two runs whose commands look a name up and connect to it, send a line and read the answer.
     * The first, without a policy, forwards its queries to a DNS responder of the training's
     * ({@code --dns-upstream}), which answers with nstun's resolver address, which {@code
     * --host-loopback} carries to a listener on the host's loopback. The second, with a policy
     * ({@code --allow} through {@code --socks5}), gets a fake address for the allowed name and a
     * refusal for another from nstun itself, and its connection goes through the policy's dialer to a
     * SOCKS5 responder of the training's. Without them the archive held none of what a first
     * connection needs (30 of nstun's classes), a first forwarded query (its answer took 40-60 ms)
     * or a policy's first flow (11-15 ms more), which then came from the jar. bash's /dev/tcp is the
     * client; without bash the runs fail, and the training goes on without them.
     */
    private static void connections(ToIntFunction<String[]> execute) {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket listener = new ServerSocket(0, 1, loopback);
             ServerSocket socks = new ServerSocket(0, 1, loopback);
             DatagramSocket dns = new DatagramSocket(0, loopback)) {
            byte[] resolver = InetAddress.getByName(NstunAddresses.RESOLVER_IPV4_TEXT).getAddress();
            Thread.ofPlatform().daemon(true).start(() -> serve(listener, false));
            Thread.ofPlatform().daemon(true).start(() -> serve(socks, true));
            Thread.ofPlatform().daemon(true).start(() -> answerQueries(dns, resolver));
            String connect = "exec 3<>/dev/tcp/" + NAME + "/%d && echo question >&3 && read -r -t 5 answer <&3";
            execute.applyAsInt(new String[] {"run", "--host-loopback", "--dns-upstream=udp://127.0.0.1:" + dns.getLocalPort(),
                    "--", "bash", "-c", connect.formatted(listener.getLocalPort())});
            // An address allowed too (TEST-NET-1, never reached): its rule's matching.
            execute.applyAsInt(new String[] {"run", "--socks5", "socks5://127.0.0.1:" + socks.getLocalPort(), "--allow", NAME,
                    "--allow", "192.0.2.1:443", "--", "bash", "-c", "getent hosts refused." + NAME + " >/dev/null; " + connect.formatted(443)});
        } catch (IOException e) {
            // No loopback: the training goes on without connections.
        }
    }

    /**
     * Answers each connection to {@code server} with a line once it has read a byte, after a SOCKS5
     * handshake (no authentication, CONNECT granted) when {@code socks}; until the server closes.
     */
    private static void serve(ServerSocket server, boolean socks) {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                s.setSoTimeout(5_000);
                DataInputStream in = new DataInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();
                if (socks) {
                    in.skipNBytes(1); // version 5
                    in.skipNBytes(in.readUnsignedByte()); // the methods offered
                    out.write(new byte[] {5, 0}); // no authentication
                    in.skipNBytes(3); // version, CONNECT, reserved
                    int type = in.readUnsignedByte();
                    in.skipNBytes((type == 1 ? 4 : type == 4 ? 16 : in.readUnsignedByte()) + 2); // the address, the port
                    out.write(new byte[] {5, 0, 0, 1, 0, 0, 0, 0, 0, 0}); // granted, bound to 0.0.0.0:0
                }
                in.read();
                out.write(ANSWER);
            } catch (IOException e) {
                // The command saw it fail, or the server closed: nothing to teach.
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
