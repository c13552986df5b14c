package dev.nstun.cli;

import dev.nstun.netns.NativeException;
import dev.nstun.netns.UnixStreamSocket;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's control socket: a UNIX stream socket only its owner may use (the socket 0600 in a 0700
 * directory), where a client writes one request line ({@code status}) and reads one answer (a JSON
 * document) before the server closes the connection. Accepted on a platform thread and answered on
 * one per connection, never on the stack's loop: an answer that needs the stack asks the loop for it
 * ({@link dev.nstun.stack.NetStack#snapshot}). The socket is libc's ({@link UnixStreamSocket}), not
 * the JDK's, whose first use initialised the JDK's security providers at every start; its reads
 * and writes block, so a client is answered on a platform thread, where a virtual thread would hold
 * its carrier, and a client that never sends its line or never reads the answer holds that thread
 * for at most {@link ControlClient#ANSWER_SECONDS} each way.
 */
final class ControlServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    /** The longest request line read; a longer one is answered as unknown. */
    private static final int MAX_REQUEST = 256;
    /** Connections the kernel queues before they are accepted. */
    private static final int BACKLOG = 16;

    private final Path path;
    private final UnixStreamSocket server;
    private final Function<String, String> answers;

    private ControlServer(Path path, UnixStreamSocket server, Function<String, String> answers) {
        this.path = path;
        this.server = server;
        this.answers = answers;
    }

    /**
     * Listens at {@code path} (its directory is made 0700 if missing; a socket left there by a killed
     * run is replaced) and answers each request line with {@code answers}' document.
     */
    static ControlServer start(Path path, Function<String, String> answers) throws IOException {
        Files.createDirectories(path.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.deleteIfExists(path);
        UnixStreamSocket server = UnixStreamSocket.listen(path, BACKLOG);
        try {
            // Made as the umask says; the 0700 directory keeps others out until this narrows it.
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            server.close();
            Files.deleteIfExists(path);
            throw e;
        }
        ControlServer control = new ControlServer(path, server, answers);
        Thread.ofPlatform().daemon().name("nstun-control").start(control::serve);
        return control;
    }

    private void serve() {
        while (true) {
            Optional<UnixStreamSocket> client;
            try {
                client = server.accept(Duration.ofSeconds(ControlClient.ANSWER_SECONDS));
            } catch (NativeException e) {
                log.debug("control socket: {}", e.getMessage());
                return;
            }
            if (client.isEmpty()) return;
            Thread.ofPlatform().daemon().name("nstun-control-client").start(() -> answer(client.get()));
        }
    }

    private void answer(UnixStreamSocket client) {
        try (client) {
            byte[] answer = (answers.apply(readLine(client)) + "\n").getBytes(StandardCharsets.UTF_8);
            client.write(ByteBuffer.allocateDirect(answer.length).put(answer).flip());
        } catch (NativeException e) {
            log.debug("control socket client: {}", e.getMessage());
        }
    }

    /** Reads up to the first newline (or the end, or {@link #MAX_REQUEST} bytes); returns the line without it. */
    private static String readLine(UnixStreamSocket client) throws NativeException {
        ByteBuffer in = ByteBuffer.allocateDirect(MAX_REQUEST);
        while (in.hasRemaining()) {
            int before = in.position();
            if (client.read(in) < 0) break;
            for (int i = before; i < in.position(); i++) {
                if (in.get(i) == '\n') return text(in, i);
            }
        }
        return text(in, in.position());
    }

    private static String text(ByteBuffer in, int length) {
        byte[] bytes = new byte[length];
        in.get(0, bytes);
        return new String(bytes, StandardCharsets.UTF_8).strip();
    }

    /** Stops answering and removes the socket. */
    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(path);
    }
}
