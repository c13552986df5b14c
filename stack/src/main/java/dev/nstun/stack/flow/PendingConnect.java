package dev.nstun.stack.flow;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.function.Function;

/**
 * A TCP connect under way on a non-blocking channel ({@link Dialer#startTcp}): the stack waits for
 * the channel to become connectable, calls {@link SocketChannel#finishConnect()}, and turns what
 * that throws into the command's answer with {@link #failure}.
 *
 * @param channel the channel, non-blocking, its connect started (perhaps already connected)
 * @param failure what a failed finishConnect means for the command, as {@link Dialer#connectTcp} would have thrown it
 */
public record PendingConnect(SocketChannel channel, Function<IOException, DialException> failure) {}
