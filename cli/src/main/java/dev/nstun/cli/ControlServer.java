package dev.nstun.cli;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's control socket: a UNIX stream socket only its owner may use (the socket 0600 in a 0700
 * directory), where a client writes one request line ({@code status}) and reads one answer (a JSON
 * document) before the server closes the connection. Accepted on a platform thread, answered on
 * virtual threads, never on the stack's loop: an answer that needs the stack asks the loop for it
 * ({@link dev.nstun.stack.NetStack#snapshot}). Not accepted on a virtual thread: its blocking accept
 * started the JDK's pollers, whose set-up made method handles at run time, which no class-data
 * archive holds: 7 % of the time and CPU of `nstun run -- true`.
 */
final class ControlServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    /** The longest request line read; a longer one is answered as unknown. */
    private static final int MAX_REQUEST = 256;

    private final Path path;
    private final ServerSocketChannel server;
    private final Function<String, String> answers;

    private ControlServer(Path path, ServerSocketChannel server, Function<String, String> answers) {
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
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path));
            // Made as the umask says; the 0700 directory keeps others out until this narrows it.
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            server.close();
            throw e;
        }
        ControlServer control = new ControlServer(path, server, answers);
        Thread.ofPlatform().daemon().name("nstun-control").start(control::serve);
        return control;
    }

    private void serve() {
        while (true) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                log.debug("control socket: {}", e.getMessage());
                return;
            }
            Thread.ofVirtual().name("nstun-control-client").start(() -> answer(client));
        }
    }

    private void answer(SocketChannel client) {
        // A client that never sends its line (or never reads the answer) holds no thread for long.
        CompletableFuture.delayedExecutor(ControlClient.ANSWER_SECONDS, TimeUnit.SECONDS).execute(() -> ControlClient.closeQuietly(client));
        try (client) {
            String request = readLine(client);
            ByteBuffer out = ByteBuffer.wrap((answers.apply(request) + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) client.write(out);
        } catch (IOException e) {
            log.debug("control socket client: {}", e.getMessage());
        }
    }

    /** Reads up to the first newline (or the end, or {@link #MAX_REQUEST} bytes); returns the line without it. */
    private static String readLine(SocketChannel client) throws IOException {
        ByteBuffer in = ByteBuffer.allocate(MAX_REQUEST);
        while (in.hasRemaining()) {
            int before = in.position();
            if (client.read(in) < 0) break;
            for (int i = before; i < in.position(); i++) {
                if (in.get(i) == '\n') return new String(in.array(), 0, i, StandardCharsets.UTF_8).strip();
            }
        }
        return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8).strip();
    }

    /** Stops answering and removes the socket. */
    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(path);
    }
}
