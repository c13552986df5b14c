package dev.nstun.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The client side of a run's {@link ControlServer}: one request line, one answer read to the end. */
final class ControlClient {
    /** The longest answer read: thousands of flows fit. */
    private static final int MAX_ANSWER = 64 << 20;

    private ControlClient() {}

    /** Sends {@code request} to the control socket at {@code socket}; returns the answer without its final newline. */
    static String request(Path socket, String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) ch.write(out);
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            while (ch.read(in.clear()) >= 0) {
                answer.write(in.array(), 0, in.position());
                if (answer.size() > MAX_ANSWER) throw new IOException("the answer is larger than " + (MAX_ANSWER >> 20) + " MiB");
            }
            return answer.toString(StandardCharsets.UTF_8).stripTrailing();
        }
    }
}
