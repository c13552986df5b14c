package dev.nstun.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The client side of a run's {@link ControlServer}: one request line, one answer read to the end, within {@link #ANSWER_SECONDS}. */
final class ControlClient {
    /** The longest answer read: thousands of flows fit. */
    private static final int MAX_ANSWER = 64 << 20;
    /** How long a run may take to answer: more than its stack's own snapshot timeout, less than a user's patience. */
    static final int ANSWER_SECONDS = 5;

    private ControlClient() {}

    /** Sends {@code request} to the control socket at {@code socket}; returns the answer without its final newline. */
    static String request(Path socket, String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            // A run that never answers (hung, or not nstun at all) does not hang status: the channel is closed under the read.
            CompletableFuture.delayedExecutor(ANSWER_SECONDS, TimeUnit.SECONDS).execute(() -> closeQuietly(ch));
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
        } catch (AsynchronousCloseException e) {
            throw new IOException("no answer within " + ANSWER_SECONDS + " s");
        }
    }

    /** Closes {@code ch}, whatever it is doing. */
    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // closed already, or closing anyway
        }
    }
}
