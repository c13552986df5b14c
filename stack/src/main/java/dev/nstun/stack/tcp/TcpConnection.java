package dev.nstun.stack.tcp;

import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.SeqNumber;
import dev.nstun.stack.wire.TcpFields;
import dev.nstun.stack.wire.TcpOptions;
import dev.nstun.stack.wire.TcpSegment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ScatteringByteChannel;

/**
 * One TCP connection the wrapped command opened, terminated here: a state machine driven by
 * segments and by the time the loop passes in. It never reads a clock, sleeps or starts a thread.
 *
 * <p>Read first: RFC 9293 (TCP; §3.10.7 is the segment-arrival procedure this class follows step by
 * step), RFC 1122 §4.2 (delayed ACK, silly-window avoidance, keepalive), RFC 7323 (window scale,
 * timestamps, PAWS), RFC 6298 (the retransmission timer), RFC 5681 (congestion control), RFC 2018
 * (SACK) with RFC 6675 (loss recovery with SACK), RFC 5961 (blind RST and SYN attacks), RFC 6528 (ISN).
 *
 * <p>Shape (after smoltcp's socket/tcp.rs): {@link #process} takes a segment, {@link #dispatch}
 * emits whatever is due, {@link #pollAt} says when to call {@code dispatch} next. The receiving half
 * is {@link TcpReceiver}, the sending half {@link TcpSender}; this class holds the state and the
 * transitions between states: {@link #process} sorts a segment by kind (RST, SYN, ACK, neither), one
 * method per kind switches over the state, and the text-and-FIN step follows the ACK step explicitly.
 *
 * <p>Connect-then-accept: {@link #fromSyn} answers nothing; the loop connects the upstream first,
 * then calls {@link #accept} (the SYN-ACK goes) or {@link #refuse} (a RST goes: ECONNREFUSED).
 *
 * <p>Everything runs on the loop thread. Per connection the memory is bounded by the two buffer
 * ceilings of {@link TcpConfig} plus a few hundred bytes of bookkeeping; nothing is allocated per
 * segment.
 */
public final class TcpConnection {
    /** Segments too small to be worth it: a peer announcing less gets this much anyway (Linux's tcp_min_snd_mss is 48). */
    static final int MIN_SEND_MSS = 64;

    /** What {@link #sequenceCheck} lets through of a segment. */
    private enum Acceptance {
        /** Nothing: drop the segment (an ACK is asked for where the RFC says so). */
        REJECT,
        /** Its ACK field only (a zero window, and the segment at RCV.NXT). */
        ACK_ONLY,
        /** The whole segment. */
        ACCEPT
    }

    /** What a segment is, for the transitions: its strongest control flag. */
    private enum Kind {
        RST, SYN, ACK, NO_ACK;

        static Kind of(TcpSegment seg) {
            return seg.rst() ? RST : seg.syn() ? SYN : seg.ack() ? ACK : NO_ACK;
        }
    }

    private final TcpConfig cfg;
    private final SegmentWriter writer;
    private final TcpReceiver rcv;
    private final TcpSender snd;
    private final int iss;
    private final int irs;
    private final int ourMss;
    private final int receiveShift;
    private final boolean windowScaling;
    private final boolean sack;
    private final boolean timestamps;
    private final int tsOffset;
    /** The header of the segment being written; reused. */
    private final TcpFields header = new TcpFields();
    /** Its options; reused. */
    private final SegmentOptions options = new SegmentOptions();
    /** The RST queued by {@link #queueReset}, written by the next {@link #dispatch}. */
    private final TcpFields pendingReset = new TcpFields();

    private TcpState state = TcpState.SYN_RECEIVED;
    private CloseReason closeReason = CloseReason.NONE;
    private boolean accepted;
    private boolean synAckDue;
    private boolean outputPending;
    private boolean resetDue;
    private long timeWaitDeadline = Long.MAX_VALUE;
    /** The command's FIN came before it had our FIN: it will hold TIME-WAIT (see {@link #releaseTimeWait}). */
    private boolean commandClosedFirst;
    private long lastHeard;
    private long lastKeepalive;
    private int keepalivesSent;
    private boolean keepaliveDue;

    private TcpConnection(long nowNanos, IpPacket ip, TcpSegment syn, TcpConfig cfg, BufferMemory memory, int isn) {
        this.cfg = cfg;
        this.writer = SegmentWriter.answering(ip, syn);
        this.iss = isn;
        this.irs = syn.seqNumber();
        int headers = writer.ipHeaderLength() + TcpSegment.HEADER_LENGTH;
        this.ourMss = Math.min(cfg.mtu() - headers, 0xffff);
        this.windowScaling = cfg.windowScaling() && syn.windowScale() >= 0;
        this.receiveShift = windowScaling ? cfg.receiveWindowShift() : 0;
        this.sack = cfg.sack() && syn.sackPermitted();
        this.timestamps = cfg.timestamps() && syn.hasTimestamps();
        // RFC 7323 §7.1: a per-connection TSval offset, so no global clock shows. Derived from the ISN, which
        // differs per connection; the peer, a process on this host, can undo it but learns nothing it could not read.
        this.tsOffset = Integer.rotateLeft(isn * 0x9e3779b9, 16);
        // RFC 9293 §3.7.1: without the option, 536 (IPv4) or 1220 (IPv6); RFC 6691: options come off it.
        int peerMss = syn.mss() >= 0 ? syn.mss() : writer.isIpv6() ? 1220 : 536;
        int sendMss = Math.max(Math.min(peerMss, ourMss), MIN_SEND_MSS) - (timestamps ? TcpOptions.TIMESTAMPS_LENGTH : 0);
        this.rcv = new TcpReceiver(cfg, memory, irs, receiveShift, ourMss, timestamps, syn.timestampValue(), nowNanos);
        this.snd = new TcpSender(cfg, memory, isn, irs, syn.window(), windowScaling ? syn.windowScale() : 0, sendMss, sack);
        this.lastHeard = nowNanos;
    }

    /** Returns whether {@code seg} may open a connection: SYN without ACK, RST or FIN. */
    public static boolean isConnectionRequest(TcpSegment seg) {
        return seg.syn() && !seg.ack() && !seg.rst() && !seg.fin();
    }

    /**
     * Returns a connection in SYN-RECEIVED for {@code syn} (checksum verified, carried by {@code ip}),
     * with our ISN {@code isn} (from {@link IsnGenerator}). Nothing is sent until {@link #accept}.
     */
    public static TcpConnection fromSyn(long nowNanos, IpPacket ip, TcpSegment syn, TcpConfig cfg, int isn) {
        return fromSyn(nowNanos, ip, syn, cfg, BufferMemory.unlimited(), isn);
    }

    /**
     * As {@link #fromSyn(long, IpPacket, TcpSegment, TcpConfig, int)}, with buffers charged to
     * {@code memory}: call {@link #dispose} when the connection is forgotten.
     */
    public static TcpConnection fromSyn(long nowNanos, IpPacket ip, TcpSegment syn, TcpConfig cfg, BufferMemory memory, int isn) {
        if (!isConnectionRequest(syn)) throw new IllegalArgumentException("not a connection request: " + syn);
        return new TcpConnection(nowNanos, ip, syn, cfg, memory, isn);
    }

    /**
     * Writes the RST that answers a segment no connection takes (RFC 9293 §3.10.7.1); nothing answers
     * a RST. Returns whether a packet was written.
     */
    public static boolean resetFor(IpPacket ip, TcpSegment seg, SegmentSink sink) {
        return SegmentWriter.resetFor(ip, seg, sink);
    }

    // ---- the loop's side ----

    /** The upstream connected: the SYN-ACK is due. */
    public void accept(long nowNanos) {
        if (state != TcpState.SYN_RECEIVED || accepted) return;
        accepted = true;
        synAckDue = true;
        outputPending = true;
        lastHeard = nowNanos;
    }

    /** The upstream refused: answer the SYN with RST (RFC 9293 §3.10.7.2), so the command sees ECONNREFUSED. */
    public void refuse(long nowNanos) {
        if (state != TcpState.SYN_RECEIVED || accepted) return;
        queueReset(TcpSegment.RST | TcpSegment.ACK).ack(irs + 1);
        close(CloseReason.REFUSED);
    }

    /**
     * Takes a segment of this connection's 4-tuple whose checksum the loop verified. Replies are not
     * sent here but by the next {@link #dispatch}. In TIME-WAIT, a SYN that may start a new
     * incarnation closes this connection without reply: the loop then treats it as a new SYN.
     *
     * <p>Returns whether a reply may not wait for the end of the batch of segments the loop is handing
     * over: a SYN-ACK, a RST, or an ACK that must not fold into the next segment's (out-of-order data,
     * a filled hole, an unacceptable segment, FIN, or in-order data past the stretch limit of
     * {@link TcpReceiver}). The loop must then {@link #dispatch} before it hands over the next segment.
     * Otherwise a whole batch read from the TUN folds into one ACK: the peer sees one duplicate ACK
     * where RFC 5681 §4.2 and RFC 2018 §4 promise one per out-of-order segment, and, with a window of a
     * few 64 KiB segments, one ACK per window, whose loss leaves it nothing but its retransmission timer.
     */
    public boolean process(long nowNanos, TcpSegment seg) {
        take(nowNanos, seg);
        return resetDue || synAckDue || accepted && state != TcpState.CLOSED && rcv.ackBeforeNextSegment();
    }

    /**
     * RFC 9293 §3.10.7, one method per kind of segment, each a switch over the state; the sequence
     * check ({@link #sequenceCheck}) comes first wherever the RFC puts it first.
     */
    private void take(long nowNanos, TcpSegment seg) {
        outputPending = true;
        switch (Kind.of(seg)) {
            case RST -> takeRst(nowNanos, seg);
            case SYN -> takeSyn(seg);
            case NO_ACK -> takeNoAck(nowNanos, seg);
            case ACK -> takeAckSegment(nowNanos, seg);
        }
    }

    /** A segment with RST. */
    private void takeRst(long nowNanos, TcpSegment seg) {
        // §3.10.7.1: a RST for a closed connection is dropped.
        if (state == TcpState.CLOSED) return;
        if (sequenceCheck(nowNanos, seg) == Acceptance.REJECT) return;
        if (seg.seqNumber() != rcv.nxt()) {
            // §3.10.7.4 second (RFC 5961 §3.2): in the window but not at RCV.NXT: challenge ACK.
            rcv.ackNow();
            return;
        }
        switch (state) {
            // §3.10.7.4 second, SYN-RECEIVED after a passive open (here even before our SYN-ACK): the command gave up.
            case SYN_RECEIVED -> close(CloseReason.RESET);
            // §3.10.7.4 second, ESTABLISHED to CLOSE-WAIT: connection reset, queues flushed.
            case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT -> close(CloseReason.RESET);
            // §3.10.7.4 second, CLOSING, LAST-ACK, TIME-WAIT: enter CLOSED.
            default -> close(CloseReason.NONE);
        }
    }

    /** A segment with SYN (and without RST). */
    private void takeSyn(TcpSegment seg) {
        switch (state) {
            // §3.10.7.1: anything but a RST for a closed connection elicits a RST.
            case CLOSED -> queueResetFor(seg);
            case SYN_RECEIVED -> {
                // §3.10.7.3 / §3.5: the command retransmitted its SYN: SYN-ACK again, once there is one to send.
                if (seg.seqNumber() == irs && !seg.ack()) synAckDue = accepted;
                // §3.10.7.4 fourth (RFC 5961 §4.2): any other SYN elicits a challenge ACK.
                else rcv.ackNow();
            }
            case TIME_WAIT -> {
                // §3.10.7.4 fourth with RFC 6191: a new SYN ends TIME-WAIT, so the loop can accept it.
                if (!seg.ack() && startsNewIncarnation(seg)) close(CloseReason.NONE);
                else rcv.ackNow();
            }
            // §3.10.7.4 fourth (RFC 5961 §4.2): a SYN in a synchronized state, wherever it lies, elicits a challenge ACK.
            default -> rcv.ackNow();
        }
    }

    /** A segment with neither RST, SYN nor ACK. */
    private void takeNoAck(long nowNanos, TcpSegment seg) {
        switch (state) {
            // §3.10.7.1: anything but a RST for a closed connection elicits a RST.
            case CLOSED -> queueResetFor(seg);
            // §3.10.7.4 first, then fifth: out of the window elicits an ACK; without the ACK bit it is dropped.
            default -> sequenceCheck(nowNanos, seg);
        }
    }

    /** A segment with ACK (and neither RST nor SYN): the ACK field, then text and FIN where the state takes them. */
    private void takeAckSegment(long nowNanos, TcpSegment seg) {
        if (state == TcpState.CLOSED) {
            // §3.10.7.1: anything but a RST for a closed connection elicits a RST.
            queueResetFor(seg);
            return;
        }
        Acceptance acceptance = sequenceCheck(nowNanos, seg);
        if (acceptance == Acceptance.REJECT) return;
        boolean textNext = switch (state) {
            // §3.10.7.4 fifth, SYN-RECEIVED: SND.UNA < SEG.ACK =< SND.NXT completes the handshake; else <SEQ=SEG.ACK><CTL=RST>.
            case SYN_RECEIVED -> {
                if (!accepted || seg.ackNumber() != iss + 1) {
                    queueReset(TcpSegment.RST).seq(seg.ackNumber());
                    yield false;
                }
                state = snd.finQueued() ? TcpState.FIN_WAIT_1 : TcpState.ESTABLISHED;
                synAckDue = false;
                yield takeAck(nowNanos, seg);
            }
            // §3.10.7.4 fifth, ESTABLISHED (and FIN-WAIT-2, whose FIN is acknowledged already): take the ACK.
            case ESTABLISHED, FIN_WAIT_2 -> takeAck(nowNanos, seg);
            // §3.10.7.4 fifth, CLOSE-WAIT: take the ACK; seventh: the command's FIN came, so any text is ignored.
            case CLOSE_WAIT -> {
                takeAck(nowNanos, seg);
                yield false;
            }
            // §3.10.7.4 fifth, FIN-WAIT-1: once our FIN is acknowledged, FIN-WAIT-2.
            case FIN_WAIT_1 -> {
                if (!takeAck(nowNanos, seg)) yield false;
                if (snd.finAcked()) state = TcpState.FIN_WAIT_2;
                yield true;
            }
            // §3.10.7.4 fifth, CLOSING: once our FIN is acknowledged, TIME-WAIT (and the command's
            // ends: releaseTimeWait); else ignore the segment.
            case CLOSING -> {
                if (takeAck(nowNanos, seg) && snd.finAcked()) {
                    enterTimeWait(nowNanos);
                    releaseTimeWait();
                }
                yield false;
            }
            // §3.10.7.4 fifth, LAST-ACK: once our FIN is acknowledged, CLOSED (and the command's
            // TIME-WAIT ends: releaseTimeWait).
            case LAST_ACK -> {
                if (takeAck(nowNanos, seg) && snd.finAcked()) {
                    close(CloseReason.NONE);
                    releaseTimeWait();
                }
                yield false;
            }
            // §3.10.7.4 fifth, TIME-WAIT: only a retransmitted FIN can arrive (see the sequence check).
            case TIME_WAIT, CLOSED -> false;
        };
        if (textNext && acceptance == Acceptance.ACCEPT) takeTextAndFin(nowNanos, seg);
    }

    /** §3.10.7.4 seventh and eighth: text and FIN, in ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2 only. */
    private void takeTextAndFin(long nowNanos, TcpSegment seg) {
        if (!rcv.onText(nowNanos, seg)) return;
        // Its FIN before it saw ours: the command closed first, and our FIN will put it in TIME-WAIT.
        commandClosedFirst = !snd.finAcked();
        switch (state) {
            // §3.10.7.4 eighth, ESTABLISHED: CLOSE-WAIT.
            case ESTABLISHED -> state = TcpState.CLOSE_WAIT;
            // §3.10.7.4 eighth, FIN-WAIT-1: TIME-WAIT if our FIN is acknowledged, else CLOSING.
            case FIN_WAIT_1 -> {
                if (snd.finAcked()) enterTimeWait(nowNanos);
                else state = TcpState.CLOSING;
            }
            // §3.10.7.4 eighth, FIN-WAIT-2: TIME-WAIT.
            case FIN_WAIT_2 -> enterTimeWait(nowNanos);
            default -> { }
        }
    }

    /**
     * RFC 9293 §3.10.7.4 first: PAWS (RFC 7323 §5.3), then the acceptability test; an unacceptable
     * segment elicits an ACK unless it is a RST (and restarts TIME-WAIT if it is a retransmitted FIN).
     * With a zero window, the ACK of a segment at RCV.NXT is still taken. Returns how much of the
     * segment may be taken.
     */
    private Acceptance sequenceCheck(long nowNanos, TcpSegment seg) {
        if (!seg.rst() && rcv.pawsRejects(nowNanos, seg)) {
            rcv.ackNow();
            return Acceptance.REJECT;
        }
        int seq = seg.seqNumber();
        if (!rcv.acceptable(seq, seg.segmentLength())) {
            if (!seg.rst()) rcv.ackNow();
            if (seg.ack() && !seg.rst() && !seg.syn() && rcv.window() == 0 && seq == rcv.nxt()) {
                heardFrom(nowNanos);
                return Acceptance.ACK_ONLY;
            }
            if (state == TcpState.TIME_WAIT && seg.fin()) timeWaitDeadline = nowNanos + cfg.timeWaitNanos();
            return Acceptance.REJECT;
        }
        heardFrom(nowNanos);
        rcv.updateTimestamp(nowNanos, seg);
        return Acceptance.ACCEPT;
    }

    /** An in-sequence segment arrived: the peer is alive (keepalive). */
    private void heardFrom(long nowNanos) {
        lastHeard = nowNanos;
        keepalivesSent = 0;
    }

    /** Returns whether a SYN arriving in TIME-WAIT may open a new connection (RFC 6191 with timestamps, RFC 1122 §4.2.2.13 without). */
    private boolean startsNewIncarnation(TcpSegment syn) {
        if (timestamps && syn.hasTimestamps()) return SeqNumber.gt(syn.timestampValue(), rcv.tsRecent());
        return SeqNumber.gt(syn.seqNumber(), rcv.nxt());
    }

    /** Takes the ACK field; on an unacceptable one (RFC 9293 §3.10.7.4 fifth, RFC 5961 §5.2) asks for an ACK and returns false. */
    private boolean takeAck(long nowNanos, TcpSegment seg) {
        if (snd.onAck(nowNanos, seg) == TcpSender.AckOutcome.TAKEN) return true;
        rcv.ackNow();
        return false;
    }

    /**
     * Our FIN has just been acknowledged. If the command closed first, its side now sits in TIME-WAIT,
     * for 60 s on Linux, holding the 4-tuple: a client that opens and closes connections fast runs out
     * of ports to the one address it talks to. TIME-WAIT guards a new incarnation against old
     * duplicates still in the network, and the last ACK against loss; on this link there is neither
     * (we are its only other end, and keep no more than our own short TIME-WAIT), so a RST at its
     * RCV.NXT ends it, as Linux does unless net.ipv4.tcp_rfc1337 is set (RFC 1337 calls this
     * TIME-WAIT assassination). The command cannot see it: its socket is closed already.
     */
    private void releaseTimeWait() {
        if (commandClosedFirst) queueReset(TcpSegment.RST).seq(snd.nxt());
    }

    private void enterTimeWait(long nowNanos) {
        state = TcpState.TIME_WAIT;
        timeWaitDeadline = nowNanos + cfg.timeWaitNanos();
    }

    private void close(CloseReason reason) {
        state = TcpState.CLOSED;
        closeReason = reason;
        synAckDue = false;
        keepaliveDue = false;
    }

    /** Queues a RST with {@code flags} (RST, or RST and ACK) for the next dispatch; returns its header, for seq and ack. */
    private TcpFields queueReset(int flags) {
        resetDue = true;
        outputPending = true;
        return pendingReset.clear().flags(flags);
    }

    private void queueResetFor(TcpSegment seg) {
        if (seg.ack()) queueReset(TcpSegment.RST).seq(seg.ackNumber());
        else queueReset(TcpSegment.RST | TcpSegment.ACK).ack(seg.seqNumber() + seg.segmentLength());
    }

    /**
     * Returns whether the connection has nothing of its own to send or to time, a queued RST aside:
     * it is CLOSED, or still waits in SYN-RECEIVED for the upstream's dial (connect-then-accept).
     */
    private boolean mute() {
        return state == TcpState.CLOSED || state == TcpState.SYN_RECEIVED && !accepted;
    }

    /**
     * Emits every segment due at {@code nowNanos} — a RST, the SYN-ACK, retransmissions, new data and
     * FIN as the windows allow, a zero-window or keepalive probe, a pure ACK — and returns how many.
     * Stops early when the sink is full; {@link #pollAt} then stays due.
     */
    public int dispatch(long nowNanos, SegmentSink sink) {
        runTimers(nowNanos);
        int sent = 0;
        if (resetDue) {
            if (!writer.segment(sink, pendingReset, options.none(), null)) return sent;
            resetDue = false;
            sent++;
        }
        if (mute()) {
            outputPending = false;
            return sent;
        }
        if (synAckDue && state == TcpState.SYN_RECEIVED) {
            TcpOptions synOptions = new TcpOptions(ourMss, windowScaling ? receiveShift : -1, sack, timestamps,
                    tsVal(nowNanos), rcv.tsRecent());
            header.clear().seq(iss).ack(rcv.nxt()).window(rcv.synWindowField());
            if (!writer.synAck(sink, header, synOptions)) return sent;
            synAckDue = false;
            snd.synSent(nowNanos);
            rcv.onAckSent();
            sent++;
        }
        if (state.isSynchronized()) {
            while (true) {
                sackOptions(true);
                int headers = writer.ipHeaderLength() + TcpSegment.HEADER_LENGTH + options.length();
                int room = cfg.mtu() - headers;
                if (!snd.prepare(nowNanos, room, sink.offloadsTcp() ? SegmentSink.LARGEST_PACKET - headers : room)) break;
                int flags = TcpSegment.ACK | (snd.outFin() ? TcpSegment.FIN : 0) | (snd.outPush() ? TcpSegment.PSH : 0);
                header.clear().seq(snd.outSeq()).flags(flags).payloadLength(snd.outLen());
                if (!emit(sink, nowNanos)) return sent;
                snd.commit(nowNanos);
                sent++;
            }
            if (snd.probeDue() || keepaliveDue) {
                // A window or keepalive probe: an ACK one below SND.UNA elicits the peer's ACK (Linux's form; never queued).
                sackOptions(false);
                header.clear().seq(snd.una() - 1).flags(TcpSegment.ACK);
                if (!emit(sink, nowNanos)) return sent;
                if (snd.probeDue()) snd.probeSent(nowNanos);
                if (keepaliveDue) {
                    keepaliveDue = false;
                    keepalivesSent++;
                    lastKeepalive = nowNanos;
                }
                sent++;
            }
        }
        if (rcv.ackDue(nowNanos)) {
            sackOptions(state.isSynchronized());
            header.clear().seq(snd.nxt()).flags(TcpSegment.ACK);
            if (!emit(sink, nowNanos)) return sent;
            sent++;
        }
        outputPending = false;
        return sent;
    }

    /** Sets the options of the next segment: timestamps if agreed, and, when {@code withSack} and SACK was agreed, the receiver's SACK blocks. */
    private void sackOptions(boolean withSack) {
        options.timestamps(timestamps).sackBlocks(withSack && sack ? rcv.sackBlocks(options.sackEdges(), timestamps ? 3 : 4) : 0);
    }

    /**
     * Writes the segment {@link #header} holds (its seq, flags and payload length set) with our ACK,
     * window and the {@link #options} set, and the payload from the sender; returns false when the sink is full.
     */
    private boolean emit(SegmentSink sink, long nowNanos) {
        header.ack(rcv.nxt()).window(rcv.windowField());
        options.tsVal(tsVal(nowNanos)).tsEcr(rcv.tsRecent());
        if (!writer.segment(sink, header, options, snd)) return false;
        rcv.onAckSent();
        return true;
    }

    /** Returns our TSval: milliseconds (RFC 7323 §5.4 allows 1 ms to 1 s per tick) plus the connection's offset. */
    private int tsVal(long nowNanos) {
        return (int) Math.floorDiv(nowNanos, 1_000_000L) + tsOffset;
    }

    private void runTimers(long nowNanos) {
        if (state == TcpState.TIME_WAIT && nowNanos >= timeWaitDeadline) close(CloseReason.NONE);
        if (mute()) return;
        boolean handshake = state == TcpState.SYN_RECEIVED;
        switch (snd.onTimer(nowNanos, handshake)) {
            case GIVE_UP -> {
                // A half-open connection goes quietly, as Linux drops a request; an open one is reset.
                if (!handshake) queueReset(TcpSegment.RST | TcpSegment.ACK).seq(snd.nxt()).ack(rcv.nxt());
                close(CloseReason.TIMED_OUT);
                return;
            }
            case RETRANSMIT -> {
                if (handshake) synAckDue = true;
            }
            case PROBE, NONE -> { }
        }
        if (nowNanos >= keepaliveDeadline()) {
            if (keepalivesSent >= cfg.keepaliveProbes()) {
                queueReset(TcpSegment.RST | TcpSegment.ACK).seq(snd.nxt()).ack(rcv.nxt());
                close(CloseReason.TIMED_OUT);
            } else {
                keepaliveDue = true;
            }
        }
    }

    /** Returns when the next keepalive probe is due (RFC 1122 §4.2.3.6), or {@link Long#MAX_VALUE} when none is. */
    private long keepaliveDeadline() {
        boolean idleState = state == TcpState.ESTABLISHED || state == TcpState.CLOSE_WAIT || state == TcpState.FIN_WAIT_2;
        if (cfg.keepaliveIdleNanos() == 0 || !idleState || !snd.idle() || keepaliveDue) return Long.MAX_VALUE;
        return keepalivesSent == 0 ? lastHeard + cfg.keepaliveIdleNanos() : lastKeepalive + cfg.keepaliveIntervalNanos();
    }

    /**
     * Returns when {@link #dispatch} must next be called: {@link Long#MIN_VALUE} when something is
     * due now (always so right after {@link #process} or an application call that may make output),
     * {@link Long#MAX_VALUE} when nothing will be until a segment or an application call. Times are
     * the loop's monotonic nanoseconds (System.nanoTime's), compared directly: they must not wrap.
     */
    public long pollAt() {
        if (resetDue) return Long.MIN_VALUE;
        if (mute()) return Long.MAX_VALUE;
        if (outputPending || synAckDue || keepaliveDue || snd.probeDue()) return Long.MIN_VALUE;
        long at = Math.min(snd.timerDeadline(), rcv.ackDeadline());
        at = Math.min(at, keepaliveDeadline());
        return state == TcpState.TIME_WAIT ? Math.min(at, timeWaitDeadline) : at;
    }

    /**
     * Returns whether the ACK of the command's last request waits for our reply to carry it (see
     * {@link TcpReceiver}): the loop should {@link #releaseAck} at its next turn, or before it waits
     * for news; otherwise it goes as a delayed ACK.
     */
    public boolean holdsAck() {
        return state.isSynchronized() && rcv.holdsAck();
    }

    /**
     * Returns whether an ACK waits, held for the reply ({@link #holdsAck}) or delayed for a second
     * segment: the loop should {@link #releaseAck} before it waits for news.
     */
    public boolean ackWaits() {
        return state.isSynchronized() && rcv.ackWaits();
    }

    /**
     * The loop is about to wait, or the reply to a held ACK did not come within the loop's turn: the
     * ACK that waits goes with the next {@link #dispatch}. A command whose Nagle algorithm holds the
     * rest of its request until that ACK is then never kept waiting while the loop is idle (Linux's
     * own delayed ACK keeps such a sender waiting 40 ms).
     */
    public void releaseAck() {
        if (!ackWaits()) return;
        rcv.releaseAck();
        outputPending = true;
    }

    // ---- the relay's side ----

    /** Returns how many in-order bytes from the command wait to be read. */
    public int readable() {
        return rcv.readable();
    }

    /** Moves bytes from the command into {@code dst}; returns the count. Reading opens the window. */
    public int read(ByteBuffer dst) {
        int n = rcv.read(dst);
        if (n > 0) outputPending = true;
        return n;
    }

    /**
     * Lets {@code reader} take in-order bytes from the command straight from the segment that carries
     * them, as {@link #process} takes it, whenever nothing waits to be read ahead of them: those never
     * become readable, and the window stays open by as much. Null stores every byte, as before the call.
     */
    public void directReader(DirectReader reader) {
        rcv.directReader(reader);
    }

    /**
     * Writes bytes from the command to {@code channel} straight from the receive buffer, as many as it
     * takes (one gathering write); those are read, and the window opens by as much. What it does not
     * take stays readable, and keeps the window closed. Returns the count.
     */
    public int readTo(GatheringByteChannel channel) throws IOException {
        int n = rcv.readTo(channel);
        if (n > 0) outputPending = true;
        return n;
    }

    /** Returns how many bytes {@link #write} takes now: free send buffer, 0 once output is shut down or the connection closed. */
    public int writable() {
        return canWrite() ? snd.writable() : 0;
    }

    /**
     * Returns how many bytes {@link #writeFrom} takes now: the send buffer's free room that its memory
     * holds already. Less than {@link #writable()} until the buffer has grown: a relay that may read
     * more reads into a buffer of its own and {@link #write}s it, which grows the send buffer.
     */
    public int writableInPlace() {
        return canWrite() ? snd.writableInPlace() : 0;
    }

    /**
     * Queues bytes for the command read from {@code channel} straight into the send buffer, at most
     * {@code max} and {@link #writableInPlace()}; returns how many, or -1 at the channel's end of stream.
     */
    public int writeFrom(ScatteringByteChannel channel, int max) throws IOException {
        if (!canWrite()) return 0;
        int n = snd.writeFrom(channel, max);
        if (n > 0) outputPending = true;
        return n;
    }

    /** Queues bytes for the command from {@code src} (bounded by the send buffer); returns how many were taken. */
    public int write(ByteBuffer src) {
        if (!canWrite()) return 0;
        int n = snd.write(src);
        if (n > 0) outputPending = true;
        return n;
    }

    private boolean canWrite() {
        return state == TcpState.SYN_RECEIVED || state == TcpState.ESTABLISHED || state == TcpState.CLOSE_WAIT;
    }

    /** Sends FIN after everything written (the upstream closed its side): RFC 9293 §3.10.4 CLOSE. */
    public void shutdownOutput() {
        switch (state) {
            // §3.10.4 CLOSE in SYN-RECEIVED: FIN after the handshake (then FIN-WAIT-1).
            case SYN_RECEIVED -> snd.queueFin();
            // §3.10.4 CLOSE in ESTABLISHED: FIN-WAIT-1.
            case ESTABLISHED -> {
                snd.queueFin();
                state = TcpState.FIN_WAIT_1;
            }
            // §3.10.4 CLOSE in CLOSE-WAIT: LAST-ACK.
            case CLOSE_WAIT -> {
                snd.queueFin();
                state = TcpState.LAST_ACK;
            }
            default -> { }
        }
        outputPending = true;
    }

    /** Returns whether the command sent FIN and every byte before it has been read. */
    public boolean inputShutdown() {
        return rcv.finReceived() && rcv.readable() == 0;
    }

    /** Resets the connection now (RFC 9293 §3.10.5 ABORT): a RST goes with the next dispatch. */
    public void abort() {
        switch (state) {
            case CLOSED -> {
                return;
            }
            case SYN_RECEIVED -> {
                if (accepted) queueReset(TcpSegment.RST | TcpSegment.ACK).seq(snd.nxt()).ack(rcv.nxt());
                else queueReset(TcpSegment.RST | TcpSegment.ACK).ack(irs + 1);
            }
            case TIME_WAIT -> { }
            default -> queueReset(TcpSegment.RST | TcpSegment.ACK).seq(snd.nxt()).ack(rcv.nxt());
        }
        close(CloseReason.ABORTED);
    }

    /** The loop forgets the connection (closed, evicted or shut down): its buffers' memory goes back at once. */
    public void dispose() {
        snd.dispose();
        rcv.dispose();
    }

    /** Returns the state. */
    public TcpState state() {
        return state;
    }

    /** Returns whether the connection is CLOSED with nothing left to send: the loop may forget it. */
    public boolean isClosed() {
        return state == TcpState.CLOSED && !resetDue;
    }

    /** Returns why the connection closed ({@link CloseReason#NONE} while open or after an orderly close). */
    public CloseReason closeReason() {
        return closeReason;
    }

    // ---- for tests and statistics ----

    /** Returns the sender (same package: tests look at cwnd, RTO and the scoreboard). */
    TcpSender sender() {
        return snd;
    }

    /** Returns the receiver. */
    TcpReceiver receiver() {
        return rcv;
    }

    /** Returns the bytes allocated for both rings: the per-connection memory that grows with traffic. */
    public int bufferBytesAllocated() {
        return snd.allocated() + rcv.allocated();
    }
}
