package dev.nstun.policies.outbound;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/**
 * The two ways a proxy client's connect runs, for tests that hold both to the same table: blocking
 * on the test's thread ({@code connect}), and begun with {@code start} and driven on a selector as
 * the stack's loop drives it ({@link #drive}).
 */
enum HandshakeDriver {
    BLOCKING,
    LOOP;

    /** Returns the channel to {@code destination} through {@code client}, in blocking mode, connected this driver's way. */
    SocketChannel connect(ProxyClient client, Destination destination) throws IOException {
        return this == BLOCKING ? client.connect(destination) : drive(client.start(destination).orElseThrow());
    }

    /**
     * Finishes {@code started} as the stack's loop does: waits for the connect on a selector (at the
     * proxy's next address when one is refused), then advances the handshake whenever the channel is
     * ready for what it waits for, and gives the whole up when the timeout passes; failures are
     * worded by {@link StartedConnect#failed}.
     * Returns the channel in blocking mode.
     */
    static SocketChannel drive(StartedConnect started) throws IOException {
        SocketChannel channel = started.channel();
        long deadline = System.nanoTime() + started.timeout().toNanos();
        try (Selector selector = Selector.open()) {
            SelectionKey key = channel.register(selector, SelectionKey.OP_CONNECT);
            boolean connected = false;
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    channel.close();
                    throw started.failed(new SocketTimeoutException("Connect timed out"));
                }
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
                NonBlockingHandshake.Progress progress;
                try {
                    if (!connected) {
                        try {
                            if (!channel.finishConnect()) {
                                continue;
                            }
                        } catch (IOException refused) {
                            // As the stack does: the next address, if any, on a channel of its own.
                            channel.close();
                            Optional<SocketChannel> next = started.fallback(refused);
                            if (next.isEmpty()) {
                                throw refused;
                            }
                            channel = next.get();
                            key = channel.register(selector, SelectionKey.OP_CONNECT);
                            continue;
                        }
                    }
                    connected = true;
                    progress = started.advance();
                } catch (IOException e) {
                    channel.close();
                    throw started.failed(e);
                }
                if (progress == NonBlockingHandshake.Progress.DONE) {
                    break;
                }
                key.interestOps(progress == NonBlockingHandshake.Progress.READABLE ? SelectionKey.OP_READ : SelectionKey.OP_WRITE);
            }
        }
        channel.configureBlocking(true);
        return channel;
    }
}
