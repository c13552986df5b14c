package dev.nstun.stack.relay;

import dev.nstun.stack.PacketOutput;
import dev.nstun.stack.StackCounters;
import dev.nstun.stack.flow.DialException;
import dev.nstun.stack.flow.DialFailure;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowKey;
import dev.nstun.stack.flow.FlowSnapshot;
import dev.nstun.stack.flow.PendingConnect;
import dev.nstun.stack.flow.UpstreamHandshake;
import dev.nstun.stack.tcp.BufferMemory;
import dev.nstun.stack.tcp.CloseReason;
import dev.nstun.stack.tcp.IsnGenerator;
import dev.nstun.stack.tcp.SegmentSink;
import dev.nstun.stack.tcp.TcpConfig;
import dev.nstun.stack.tcp.TcpConnection;
import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;
import dev.nstun.stack.wire.PacketBuilder;
import dev.nstun.stack.wire.TcpSegment;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command's TCP connections, each terminated by a {@link TcpConnection} and relayed to an
 * upstream {@link SocketChannel} the dialer connects before the SYN is answered: on the loop, with
 * a non-blocking connect and any handshake after it driven by the selector, where the dialer can
 * ({@link Dialer#startTcp}), else on a virtual thread.
 * Lives on the loop thread. Flow control is end to end: the upstream is read only while the
 * connection's send buffer has room, and the connection is read only as far as the upstream socket
 * takes the bytes, so its advertised window shrinks when the upstream is slow.
 */
public final class TcpFlows {
    private static final Logger log = LoggerFactory.getLogger(TcpFlows.class);
    /**
     * How long a dropped flow stays silent after the command's last SYN: longer than the largest gap
     * between Linux's SYN retries at the default tcp_syn_retries (64 s), so one flow is dialed once.
     */
    static final long SILENCE_NANOS = 70_000_000_000L;
    /**
     * Largest read of an upstream socket, and the size of the relay's one staging buffer, where a read
     * lands while the connection's send buffer has not grown to what may come.
     */
    private static final int STAGING = 1024 * 1024;

    /**
     * Limits: half-open connections (dialing, or not yet through the handshake with the command), all
     * connections, and the bytes all their buffers may hold. 2048 half-open keeps a client that opens
     * a thousand connections at once whole (Linux's own SYN backlog is of that order) while a flood
     * stays within ~100 MiB.
     */
    public record Config(TcpConfig tcp, int maxHalfOpen, int maxConnections, long bufferMemory) {
        /**
         * The defaults: buffers of all connections take at most half the heap's maximum (see
         * {@link BufferMemory}); they are native memory, which the JVM bounds by that same maximum unless
         * told otherwise.
         */
        public static Config defaults(int mtu) {
            return new Config(TcpConfig.defaults(mtu), 2048, 16384, Runtime.getRuntime().maxMemory() / 2);
        }
    }

    private final Dialer dialer;
    private final Selector selector;
    private final Executor dialExecutor;
    private final Consumer<Runnable> onLoop;
    private final PacketOutput output;
    private final StackCounters counters;
    private final Config config;
    private final IsnGenerator isns = IsnGenerator.keyedByKernel();
    private final BufferMemory memory;
    private final PacketBuilder builder = new PacketBuilder();
    private final Ipv4Packet quoted4 = new Ipv4Packet();
    private final Ipv6Packet quoted6 = new Ipv6Packet();
    private final HashMap<FlowKey, TcpFlow> flows = new HashMap<>();
    private final ArrayDeque<TcpFlow> dirty = new ArrayDeque<>();
    /** Flows whose connection held the ACK of a request for the reply when last serviced, in the order they did: {@link #releaseAcks}. */
    private final ArrayDeque<TcpFlow> holdingAck = new ArrayDeque<>();
    /** Flows whose connection delayed an ACK when last serviced: {@link #releaseAcks}. */
    private final ArrayDeque<TcpFlow> delayingAck = new ArrayDeque<>();
    private final FlowTimers timers = new FlowTimers();
    private final ByteBuffer staging = ByteBuffer.allocateDirect(STAGING);
    private final SegmentSink sink;
    /** Whether the link offloads TCP: {@link #offload}. */
    private boolean offload;
    /** Half-open flows, oldest first: the backlog, bounded by {@link Config#maxHalfOpen()}. */
    private final LinkedHashSet<TcpFlow> halfOpenFlows = new LinkedHashSet<>();
    /** Dropped flows kept silent, oldest first, at most {@link Config#maxHalfOpen()} of them. */
    private final LinkedHashSet<TcpFlow> silentFlows = new LinkedHashSet<>();
    /** The loop's clock at the start of its turn: dial results and evictions happen "now" too. */
    private long now;

    public TcpFlows(Dialer dialer, Selector selector, Executor dialExecutor, Consumer<Runnable> onLoop,
                    PacketOutput output, StackCounters counters, Config config) {
        this.dialer = dialer;
        this.selector = selector;
        this.dialExecutor = dialExecutor;
        this.onLoop = onLoop;
        this.output = output;
        this.counters = counters;
        this.config = config;
        this.memory = new BufferMemory(config.bufferMemory());
        this.sink = new SegmentSink() {
            @Override
            public PacketBuilder builder() {
                return builder;
            }

            @Override
            public ByteBuffer buffer() {
                return output.buffer().clear();
            }

            @Override
            public void emit(int length) {
                output.send(length);
            }

            @Override
            public boolean offloadsTcp() {
                return offload;
            }

            @Override
            public void emitTcp(int headerLength, ByteBuffer payload, ByteBuffer more, int segmentSize) {
                output.sendTcp(headerLength, payload, more, segmentSize);
            }
        };
    }

    /**
     * Sets whether the link offloads TCP ({@link dev.nstun.stack.device.Device#enableOffload}):
     * segments then carry only the pseudo-header sum, and a connection sends up to 64 KiB in one
     * segment for the link to cut at its segment size. Call before the first segment.
     */
    public void offload(boolean offload) {
        this.offload = offload;
        builder.partialChecksums(offload);
    }

    /** Sets the time for what happens this turn outside {@link #onPacket} and {@link #service}. */
    public void tick(long nowNanos) {
        now = nowNanos;
    }

    /** Returns the bytes the connections' buffers hold between them. */
    public long bufferMemoryUsed() {
        return memory.used();
    }

    /** Returns the number of connections in the table. */
    public int size() {
        return flows.size();
    }

    /** Adds a snapshot of every flow in the table at {@code nowNanos} to {@code into} (loop thread). */
    public void snapshot(long nowNanos, List<FlowSnapshot> into) {
        for (TcpFlow f : flows.values()) {
            into.add(new FlowSnapshot(f.id, f.state(), f.bytesToUpstream, f.bytesFromUpstream, nowNanos - f.openedNanos));
        }
    }

    /** Handles a TCP segment from the command; {@code ip} and {@code seg} are checked, checksum included. */
    public void onPacket(long nowNanos, IpPacket ip, TcpSegment seg) {
        FlowKey key = FlowKey.of(ip, seg.sourcePort(), seg.destinationPort());
        TcpFlow flow = flows.get(key);
        if (flow != null) {
            if (flow.silent) {
                // A dropped flow: the command's retries get no answer and no new dial.
                if (TcpConnection.isConnectionRequest(seg)) flow.silentUntil = nowNanos + SILENCE_NANOS;
                return;
            }
            boolean replyDue = flow.conn.process(nowNanos, seg);
            if (flow.conn.isClosed() && TcpConnection.isConnectionRequest(seg) && flow.conn.closeReason() == CloseReason.NONE) {
                // A SYN ended TIME-WAIT: it opens a new incarnation of the 4-tuple.
                remove(flow);
                open(nowNanos, key, ip, seg);
                return;
            }
            // An ACK that may not wait goes before the next segment of this batch can fold into it (see
            // TcpConnection.process); relaying first lets it carry the window the upstream's read opens.
            // (Waiting for the end of the batch to write upstream once costs more: the upstream idles
            // meanwhile, and the command's window closes.)
            if (replyDue) serviceOne(flow, nowNanos);
            else markDirty(flow);
            return;
        }
        if (!TcpConnection.isConnectionRequest(seg)) {
            TcpConnection.resetFor(ip, seg, sink);
            return;
        }
        open(nowNanos, key, ip, seg);
    }

    private void open(long nowNanos, FlowKey key, IpPacket ip, TcpSegment seg) {
        if (flows.size() >= config.maxConnections()) {
            // A full table: drop the SYN as a full backlog would; the command's kernel retries it.
            counters.count(StackCounters.Drop.TCP_BACKLOG_FULL);
            return;
        }
        if (halfOpenFlows.size() >= config.maxHalfOpen()) {
            // A SYN flood, or dials to a destination that never answers: the oldest half-open flow
            // makes room, so new connections are never starved (the victim's SYN retry starts anew).
            evict(halfOpenFlows.iterator().next());
        }
        TcpConnection conn = TcpConnection.fromSyn(nowNanos, ip, seg, config.tcp(), memory, isns.isn(ip, seg, nowNanos));
        FlowId id = new FlowId(FlowId.Protocol.TCP, ip.sourceAddress(), key.sourcePort(), ip.destinationAddress(), key.destinationPort());
        TcpFlow flow = new TcpFlow(key, id, conn, nowNanos);
        flow.syn = ByteBuffer.allocate(ip.length()).put(0, ip.buffer(), ip.offset(), ip.length());
        flows.put(key, flow);
        halfOpenFlows.add(flow);
        if (dialOnLoop(nowNanos, flow)) return;
        dialExecutor.execute(() -> {
            flow.dialThread = Thread.currentThread();
            if (flow.removed) return; // evicted before the dial began
            try {
                SocketChannel ch = dialer.connectTcp(id);
                onLoop.accept(() -> connected(flow, ch));
            } catch (DialException e) {
                onLoop.accept(() -> dialFailed(flow, e.failure(), e.getMessage()));
            } catch (IOException | RuntimeException e) {
                if (!flow.removed) log.warn("{}: the dialer failed unexpectedly", id, e);
                onLoop.accept(() -> dialFailed(flow, DialFailure.FAILED, String.valueOf(e)));
            }
        });
    }

    /**
     * Starts the flow's dial here if the dialer can without blocking: the connect, and a proxy's
     * handshake after it, then complete on the selector ({@link #onConnectable}, {@link #onReadable},
     * {@link #onWritable}), with no thread hand-off either way. Returns false when the dial needs a
     * thread. A connect with a timeout is given up once it passes ({@link #serviceOne}); one that
     * fails goes on with its fallback's next connect, if any ({@link #connectFailed}).
     */
    private boolean dialOnLoop(long nowNanos, TcpFlow flow) {
        Optional<PendingConnect> started;
        try {
            started = dialer.startTcp(flow.id);
        } catch (DialException e) {
            dialFailed(flow, e.failure(), e.getMessage());
            return true;
        } catch (IOException | RuntimeException e) {
            log.warn("{}: the dialer failed unexpectedly", flow.id, e);
            dialFailed(flow, DialFailure.FAILED, String.valueOf(e));
            return true;
        }
        if (started.isEmpty()) return false;
        flow.pending = started.get();
        flow.pending.timeout().ifPresent(t -> {
            flow.connectDeadline = nowNanos + t.toNanos();
            arm(flow, flow.connectDeadline);
        });
        awaitConnect(flow);
        return true;
    }

    /** Has the flow's pending connect finished, now if it already has, else when the selector says so. */
    private void awaitConnect(TcpFlow flow) {
        SocketChannel ch = flow.pending.channel();
        try {
            // A connect to a local or veth peer has usually completed inside connect(2) itself (the
            // kernel ran the handshake on this thread): finish it now, and answer the SYN this turn,
            // rather than register for OP_CONNECT and wait a turn for it.
            if (ch.isConnected() || ch.isConnectionPending() && ch.finishConnect()) {
                upstreamConnected(flow, ch);
                return;
            }
        } catch (IOException e) {
            connectFailed(flow, e);
            return;
        }
        awaitUpstream(flow, ch, SelectionKey.OP_CONNECT);
    }

    /**
     * The pending connect failed with {@code e} before any handshake: the connect its fallback begins
     * takes its place, on a channel of its own and within the same deadline, or the flow fails.
     */
    private void connectFailed(TcpFlow flow, IOException e) {
        PendingConnect pending = flow.pending;
        Optional<SocketChannel> next;
        try {
            next = pending.fallback().isPresent() ? pending.fallback().get().begin(e) : Optional.empty();
        } catch (IOException again) {
            pendingFailed(flow, again);
            return;
        } catch (RuntimeException bug) {
            log.warn("{}: the upstream's fallback failed unexpectedly", flow.id, bug);
            pendingBroken(flow, bug);
            return;
        }
        if (next.isEmpty()) {
            pendingFailed(flow, e);
            return;
        }
        abandonPending(flow);
        flow.pending = pending.on(next.get());
        awaitConnect(flow);
    }

    /** The upstream's connect begun on the loop has ended, one way or the other. */
    public void onConnectable(SelectionKey key) {
        TcpFlow flow = (TcpFlow) key.attachment();
        PendingConnect pending = flow.pending;
        if (pending == null || flow.removed) return;
        SocketChannel ch = pending.channel();
        try {
            if (!ch.finishConnect()) return;
        } catch (IOException e) {
            connectFailed(flow, e);
            return;
        }
        upstreamConnected(flow, ch);
    }

    /** The connect begun on the loop is up: the flow is connected, or its upstream's handshake begins. */
    private void upstreamConnected(TcpFlow flow, SocketChannel ch) {
        if (flow.pending.handshake().isPresent()) advanceHandshake(flow);
        else connected(flow, ch);
    }

    /** Takes the upstream's handshake as far as its channel allows, and waits for what it needs next. */
    private void advanceHandshake(TcpFlow flow) {
        PendingConnect pending = flow.pending;
        UpstreamHandshake.Progress progress;
        try {
            progress = pending.handshake().orElseThrow().advance();
        } catch (IOException e) {
            pendingFailed(flow, e);
            return;
        } catch (RuntimeException e) {
            log.warn("{}: the upstream's handshake failed unexpectedly", flow.id, e);
            pendingBroken(flow, e);
            return;
        }
        switch (progress) {
            case DONE -> connected(flow, pending.channel());
            case READABLE -> awaitUpstream(flow, pending.channel(), SelectionKey.OP_READ);
            case WRITABLE -> awaitUpstream(flow, pending.channel(), SelectionKey.OP_WRITE);
        }
    }

    /** Has the selector wake the flow when its pending upstream is ready for {@code ops}. */
    private void awaitUpstream(TcpFlow flow, SocketChannel ch, int ops) {
        try {
            if (flow.selectionKey == null) flow.selectionKey = ch.register(selector, ops, flow);
            else flow.selectionKey.interestOps(ops);
        } catch (IOException | CancelledKeyException e) {
            pendingBroken(flow, e);
        }
    }

    /** Closes the pending upstream's channel and forgets it, its dialer not told (the caller answers the flow). */
    private void abandonPending(TcpFlow flow) {
        if (flow.selectionKey != null) flow.selectionKey.cancel();
        closeQuietly(flow.pending.channel());
        flow.pending = null;
        flow.selectionKey = null;
    }

    /** The pending connect cannot go on for a reason of nstun's own ({@code e}): it is abandoned and the flow refused. */
    private void pendingBroken(TcpFlow flow, Exception e) {
        abandonPending(flow);
        dialFailed(flow, DialFailure.FAILED, String.valueOf(e));
    }

    /**
     * The upstream's connect begun on the loop, or its handshake, failed with {@code e} (a
     * {@link SocketTimeoutException}: it took too long).
     */
    private void pendingFailed(TcpFlow flow, IOException e) {
        DialException failure = flow.pending.failure().apply(e);
        abandonPending(flow);
        dialFailed(flow, failure.failure(), failure.getMessage());
    }

    private void connected(TcpFlow flow, SocketChannel ch) {
        flow.dialing = false;
        flow.dialThread = null;
        flow.pending = null;
        flow.connectDeadline = Long.MAX_VALUE;
        flow.syn = null;
        if (flow.removed) {
            closeQuietly(ch);
            dialer.tcpClosed(flow.id, 0, 0);
            return;
        }
        flow.connected = true;
        try {
            ch.configureBlocking(false);
            // An in-process service (nstun's DNS over TCP) answers on a UNIX socket, which has no Nagle.
            if (ch.supportedOptions().contains(StandardSocketOptions.TCP_NODELAY)) ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            flow.selectionKey = ch.register(selector, SelectionKey.OP_READ, flow);
        } catch (IOException e) {
            closeQuietly(ch);
            flow.conn.abort();
            markDirty(flow);
            return;
        }
        flow.channel = ch;
        flow.conn.directReader(flow);
        flow.conn.accept(now);
        log.debug("{}: connected", flow.id);
        markDirty(flow);
    }

    /** Answers the command as a normal network would have answered its connect (see {@link DialFailure}). */
    private void dialFailed(TcpFlow flow, DialFailure failure, String why) {
        flow.dialing = false;
        flow.dialThread = null;
        if (flow.removed) return;
        log.debug("{}: {}: {}", flow.id, failure, why);
        switch (failure) {
            case REFUSED, PROHIBITED, PROXY_FAILED, LOCAL_RESOURCE, FAILED -> {
                flow.conn.refuse(now);
                markDirty(flow);
            }
            case NETWORK_UNREACHABLE -> {
                answerUnreachable(flow, true);
                remove(flow);
            }
            case HOST_UNREACHABLE, TIMED_OUT -> {
                answerUnreachable(flow, false);
                remove(flow);
            }
            case DROPPED -> silence(flow);
        }
    }

    /**
     * Keeps a dropped flow in the table without an answer or a buffer, so that the command's SYN
     * retries are absorbed instead of dialing again, until it has not retried for
     * {@link #SILENCE_NANOS}.
     */
    private void silence(TcpFlow flow) {
        if (silentFlows.size() >= config.maxHalfOpen()) {
            // A scan of dropped destinations must not fill the table: the oldest silent flow goes (its
            // next SYN retry, if any, is dialed again).
            remove(silentFlows.iterator().next());
        }
        silentFlows.add(flow);
        flow.syn = null;
        flow.silent = true;
        flow.silentUntil = now + SILENCE_NANOS;
        flow.conn.dispose();
        if (flow.halfOpen) {
            flow.halfOpen = false;
            halfOpenFlows.remove(flow);
        }
        arm(flow, flow.silentUntil);
    }

    /** The upstream has bytes (or EOF, or an error) for the command. */
    public void onReadable(SelectionKey key) {
        TcpFlow flow = (TcpFlow) key.attachment();
        if (flow.pending != null) {
            advanceHandshake(flow);
            return;
        }
        pumpFromUpstream(flow);
        markDirty(flow);
    }

    /** The upstream can take the bytes it refused before, or the rest of its handshake's request. */
    public void onWritable(SelectionKey key) {
        TcpFlow flow = (TcpFlow) key.attachment();
        if (flow.pending != null) {
            advanceHandshake(flow);
            return;
        }
        markDirty(flow);
    }

    /**
     * Moves data both ways and emits due segments for every flow touched this turn, then runs due
     * timers. An ACK a connection held for the reply since an earlier turn goes now, with the reply
     * if this turn read it from the upstream, else alone.
     */
    public void service(long nowNanos) {
        releaseHeldAcks(nowNanos);
        for (TcpFlow due; (due = timers.pollDue(nowNanos)) != null; ) markDirty(due);
        for (TcpFlow flow; (flow = dirty.poll()) != null; ) {
            flow.inDirtyList = false;
            if (!flow.removed) serviceOne(flow, nowNanos);
        }
    }

    /** Returns when the next timer is due ({@link Long#MAX_VALUE}: none). */
    public long nextDeadline() {
        return timers.nextDeadline();
    }

    /** Returns whether flows wait to be serviced now. */
    public boolean hasWork() {
        return !dirty.isEmpty();
    }

    /**
     * The loop has nothing else to do and would wait: the ACKs connections hold for a reply that has
     * not come, or delay for a second segment, go now (see {@link TcpConnection#ackWaits}), so a
     * command whose Nagle algorithm waits for one is not kept waiting. Returns whether any is due:
     * the flows are then serviced by the loop's next turn instead of its wait.
     */
    public boolean releaseAcks() {
        boolean released = releaseHeldAcks(Long.MAX_VALUE);
        for (TcpFlow flow; (flow = delayingAck.poll()) != null; ) {
            flow.inDelayingList = false;
            released |= release(flow);
        }
        return released;
    }

    /** Releases the ACKs held for a reply since before {@code beforeNanos}; returns whether there were any. */
    private boolean releaseHeldAcks(long beforeNanos) {
        boolean released = false;
        for (TcpFlow flow; (flow = holdingAck.peek()) != null && flow.ackHeldSince < beforeNanos; ) {
            holdingAck.poll();
            flow.inHoldingList = false;
            if (flow.conn.holdsAck()) released |= release(flow);
        }
        return released;
    }

    /** Lets the ACK the flow's connection waits with go; returns whether there was one. */
    private boolean release(TcpFlow flow) {
        if (flow.removed || !flow.conn.ackWaits()) return false;
        flow.conn.releaseAck();
        markDirty(flow);
        return true;
    }

    /** Resets every connection and closes every upstream (the loop is ending). */
    public void closeAll() {
        for (TcpFlow f : flows.values()) {
            if (f.connected) dialer.tcpClosed(f.id, f.bytesToUpstream, f.bytesFromUpstream);
            f.removed = true;
            f.conn.dispose();
            if (f.channel != null) closeQuietly(f.channel);
            if (f.pending != null) closeQuietly(f.pending.channel());
        }
        flows.clear();
        halfOpenFlows.clear();
        silentFlows.clear();
        dirty.clear();
        holdingAck.clear();
        delayingAck.clear();
        timers.clear();
    }

    private void serviceOne(TcpFlow flow, long now) {
        if (flow.silent) {
            if (now - flow.silentUntil >= 0) remove(flow);
            else arm(flow, flow.silentUntil);
            return;
        }
        if (flow.pending != null && now - flow.connectDeadline >= 0) {
            pendingFailed(flow, new SocketTimeoutException("Connect timed out"));
            return;
        }
        TcpConnection conn = flow.conn;
        if (flow.channel != null) {
            pumpToUpstream(flow);
            if (flow.readPaused && conn.writable() > 0) pumpFromUpstream(flow);
        }
        conn.dispatch(now, sink);
        if (flow.channel != null && flow.readPaused && conn.writable() > 0) {
            pumpFromUpstream(flow);
            conn.dispatch(now, sink);
        }
        if (conn.isClosed()) {
            finish(flow);
            return;
        }
        if (flow.upstreamInputDone && flow.upstreamOutputShut && flow.channel != null) {
            // Both ways are done upstream: the socket goes now, whatever the command's side still does
            // (TIME-WAIT, or waiting for the ACK of our FIN). The connection drops its buffers by itself.
            closeUpstream(flow);
        }
        if (flow.halfOpen && conn.state().isSynchronized()) {
            flow.halfOpen = false;
            halfOpenFlows.remove(flow);
        }
        updateInterest(flow, now);
        if (conn.holdsAck()) {
            if (!flow.inHoldingList) {
                flow.inHoldingList = true;
                flow.ackHeldSince = now;
                holdingAck.add(flow);
            }
        } else if (conn.ackWaits() && !flow.inDelayingList) {
            flow.inDelayingList = true;
            delayingAck.add(flow);
        }
        long at = conn.pollAt();
        if (at == Long.MIN_VALUE) {
            markDirty(flow);
        } else {
            arm(flow, Math.min(at, flow.connectDeadline));
        }
    }

    /**
     * Makes sure the flow is serviced by {@code at}. Only an earlier deadline moves the flow in the
     * heap: a later one (the keepalive deadline moves with every segment) lets the armed one fire
     * early and re-arm in {@link #serviceOne}, so the heap is not reordered at the packet rate.
     */
    private void arm(TcpFlow flow, long at) {
        if (at < flow.timerDeadline) timers.schedule(flow, at);
    }

    /**
     * Command → upstream, as far as the socket takes it: everything readable in one gathering write
     * straight from the connection's receive buffer (each write to a local socket wakes its reader, so
     * one large write costs less than many small ones). What the socket does not take stays in the
     * connection, whose window stays closed by as much, until the socket is writable again.
     */
    private void pumpToUpstream(TcpFlow flow) {
        TcpConnection conn = flow.conn;
        try {
            flow.writeBlocked = false;
            int readable = conn.readable();
            if (readable > 0) {
                int written = conn.readTo(flow.channel);
                flow.bytesToUpstream += written;
                if (written < readable) {
                    flow.writeBlocked = true;
                    return;
                }
            }
            if (conn.inputShutdown() && !flow.upstreamOutputShut) {
                flow.upstreamOutputShut = true;
                // With the upstream's EOF already in, serviceOne closes the socket right after this, and
                // its close sends the FIN: a shutdown first would only cost a syscall.
                if (!flow.upstreamInputDone) flow.channel.shutdownOutput();
            }
        } catch (IOException e) {
            upstreamFailed(flow, e);
        }
    }

    /**
     * Upstream → command, as far as the connection's send buffer has room. Reads until the socket has
     * nothing more, so that an EOF right behind the data is seen now and the FIN rides on the last data
     * segment instead of following it alone. Once the send buffer has grown to what may come, the
     * socket reads straight into it; until then into the staging buffer, whose bytes the send buffer
     * then takes and grows by (a short answer takes one read, not one per doubling).
     */
    private void pumpFromUpstream(TcpFlow flow) {
        if (flow.upstreamInputDone || flow.channel == null) return;
        TcpConnection conn = flow.conn;
        try {
            while (true) {
                int room = Math.min(conn.writable(), STAGING);
                if (room == 0) {
                    flow.readPaused = true;
                    return;
                }
                boolean inPlace = conn.writableInPlace() >= room;
                int n;
                if (inPlace) {
                    n = conn.writeFrom(flow.channel, room);
                } else {
                    staging.clear().limit(room);
                    n = flow.channel.read(staging);
                }
                if (n < 0) {
                    flow.upstreamInputDone = true;
                    conn.shutdownOutput();
                    break;
                }
                if (n == 0) break;
                flow.bytesFromUpstream += n;
                if (!inPlace) conn.write(staging.flip());
            }
            flow.readPaused = false;
        } catch (IOException e) {
            upstreamFailed(flow, e);
        }
    }

    /**
     * Registers for what the flow waits on upstream. Once the upstream's EOF is in and nothing waits
     * to be written, the key is cancelled rather than left with no interest: the selector drops it at
     * its next select, so the socket's close later is a plain close(2) (a channel still registered is
     * closed by the JDK with a getsockopt, a shutdown and a close deferred to the selector). Should
     * the command's bytes later fill the socket, the channel registers anew.
     */
    private void updateInterest(TcpFlow flow, long now) {
        if (flow.channel == null) return; // a connect under way waits for OP_CONNECT
        int ops = 0;
        if (!flow.upstreamInputDone && !flow.readPaused) ops |= SelectionKey.OP_READ;
        if (flow.writeBlocked) ops |= SelectionKey.OP_WRITE;
        SelectionKey key = flow.selectionKey;
        if (key == null) {
            if (ops == 0 || !flow.upstreamInputDone || !flow.channel.isOpen()) return;
            try {
                flow.selectionKey = flow.channel.register(selector, ops, flow);
            } catch (CancelledKeyException e) {
                arm(flow, now); // cancelled this turn: the selector drops the old key at the next select
            } catch (ClosedChannelException e) {
                upstreamFailed(flow, e);
            }
            return;
        }
        if (!key.isValid()) return;
        if (ops == 0 && flow.upstreamInputDone) {
            key.cancel();
            flow.selectionKey = null;
        } else if (key.interestOps() != ops) {
            key.interestOps(ops);
        }
    }

    private void upstreamFailed(TcpFlow flow, IOException e) {
        log.debug("{}: upstream failed: {}", flow.id, e.getMessage());
        flow.upstreamInputDone = true;
        flow.conn.abort();
        closeQuietly(flow.channel);
        flow.selectionKey = null;
    }

    /** The connection is closed: close the upstream the way it ended (RST for RST). */
    private void finish(TcpFlow flow) {
        log.debug("{}: closed ({})", flow.id, flow.conn.closeReason());
        if (flow.channel != null && flow.channel.isOpen()) {
            if (flow.conn.closeReason() != CloseReason.NONE && flow.channel.supportedOptions().contains(StandardSocketOptions.SO_LINGER)) {
                try {
                    flow.channel.setOption(StandardSocketOptions.SO_LINGER, 0); // close() then sends RST
                } catch (IOException e) {
                    log.debug("{}: SO_LINGER: {}", flow.id, e.getMessage());
                }
            }
            closeQuietly(flow.channel);
        }
        remove(flow);
    }

    /** Closes the upstream socket of a flow whose upstream has nothing more to carry either way. */
    private void closeUpstream(TcpFlow flow) {
        if (flow.selectionKey != null) flow.selectionKey.cancel();
        flow.selectionKey = null;
        closeQuietly(flow.channel);
        flow.channel = null;
    }

    private void remove(TcpFlow flow) {
        if (flow.removed) return;
        flow.removed = true;
        timers.cancel(flow);
        if (flow.connected) dialer.tcpClosed(flow.id, flow.bytesToUpstream, flow.bytesFromUpstream);
        flow.conn.dispose();
        flows.remove(flow.key, flow);
        halfOpenFlows.remove(flow);
        silentFlows.remove(flow);
        if (flow.selectionKey != null) flow.selectionKey.cancel();
        if (flow.pending != null) {
            // A connect under way is given up: its dialer hears so, as from an interrupted blocking connect.
            closeQuietly(flow.pending.channel());
            flow.pending.failure().apply(new AsynchronousCloseException());
            flow.pending = null;
        }
    }

    /** Gives up a half-open flow: stops its dial, or resets it and closes its upstream. */
    private void evict(TcpFlow flow) {
        counters.count(StackCounters.Drop.TCP_HALF_OPEN_EVICTED);
        Thread dial = flow.dialThread;
        if (flow.dialing) {
            remove(flow);
            if (dial != null) dial.interrupt(); // an interrupted connect closes its channel and returns
            return;
        }
        flow.conn.abort();
        flow.conn.dispatch(now, sink);
        finish(flow);
    }

    private void markDirty(TcpFlow flow) {
        if (!flow.inDirtyList) {
            flow.inDirtyList = true;
            dirty.add(flow);
        }
    }

    /** The destination is unreachable: ICMP network or host unreachable quoting the command's SYN. */
    private void answerUnreachable(TcpFlow flow, boolean network) {
        ByteBuffer synPacket = flow.syn;
        if (synPacket == null) return;
        IpPacket ip = flow.key.v6() ? quoted6.wrap(synPacket, 0, synPacket.capacity()) : quoted4.wrap(synPacket, 0, synPacket.capacity());
        builder.replyTo(ip);
        ByteBuffer out = output.buffer().clear();
        output.send(network ? builder.networkUnreachable(out, 0, ip) : builder.hostUnreachable(out, 0, ip));
        flow.syn = null;
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            log.debug("closing an upstream: {}", e.getMessage());
        }
    }
}
