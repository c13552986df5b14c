package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link UnixStreamSocket} against the JDK's own UNIX socket client: bytes both ways, limits on waits, a close that ends an accept. */
class UnixStreamSocketTest {
    private static final Duration LIMIT = Duration.ofSeconds(5);

    @Test
    void acceptsAJdkClientAndCarriesBytesBothWays(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("s");
        try (UnixStreamSocket server = UnixStreamSocket.listen(path, 4);
             SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            client.write(ByteBuffer.wrap("ping\n".getBytes(StandardCharsets.US_ASCII)));
            try (UnixStreamSocket accepted = server.accept(LIMIT).orElseThrow()) {
                ByteBuffer in = ByteBuffer.allocateDirect(16);
                while (in.position() < 5) assertTrue(accepted.read(in) > 0, "bytes read");
                assertEquals(5, in.position(), "the position advances by what was read");
                byte[] got = new byte[5];
                in.get(0, got);
                assertEquals("ping\n", new String(got, StandardCharsets.US_ASCII));
                ByteBuffer out = ByteBuffer.allocateDirect(5).put("pong\n".getBytes(StandardCharsets.US_ASCII)).flip();
                accepted.write(out);
                assertEquals(5, out.position(), "all written");
            }
            ByteBuffer answer = ByteBuffer.allocate(16);
            while (client.read(answer) >= 0) {
                // to the end: the server side closed
            }
            assertEquals("pong\n", new String(answer.array(), 0, answer.position(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void readsEndWithTheStreamAndWaitsEndAtTheirLimit(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("s");
        try (UnixStreamSocket server = UnixStreamSocket.listen(path, 4);
             SocketChannel silent = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            try (UnixStreamSocket accepted = server.accept(Duration.ofMillis(200)).orElseThrow()) {
                long start = System.nanoTime();
                NativeException e = assertThrows(NativeException.class, () -> accepted.read(ByteBuffer.allocateDirect(8)));
                assertEquals(LibC.EAGAIN, e.errno(), "a read past its limit");
                assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "the read waited for its limit, not more");
            }
            SocketChannel closing = SocketChannel.open(UnixDomainSocketAddress.of(path));
            closing.close();
            try (UnixStreamSocket accepted = server.accept(LIMIT).orElseThrow()) {
                assertEquals(-1, accepted.read(ByteBuffer.allocateDirect(8)), "a client that closed: the end of the stream");
            }
        }
    }

    @Test
    void closingEndsAWaitingAcceptAndLaterAcceptsFindItClosed(@TempDir Path dir) throws Exception {
        UnixStreamSocket server = UnixStreamSocket.listen(dir.resolve("s"), 4);
        CompletableFuture<Optional<UnixStreamSocket>> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return server.accept(LIMIT);
            } catch (NativeException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        server.close();
        assertEquals(Optional.empty(), waiting.get(5, TimeUnit.SECONDS), "the accept that waited");
        assertEquals(Optional.empty(), server.accept(LIMIT), "an accept after the close");
        server.close();
    }

    @Test
    void aPathThatExistsIsRefusedWithTheKernelsReason(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("s");
        try (UnixStreamSocket first = UnixStreamSocket.listen(path, 4)) {
            NativeException e = assertThrows(NativeException.class, () -> UnixStreamSocket.listen(path, 4));
            assertEquals("listen at " + path + ": Address already in use", e.getMessage());
        }
    }
}
