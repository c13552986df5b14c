package dev.nstun.stack.tcp;

import dev.nstun.stack.wire.SeqNumber;
import dev.nstun.stack.wire.TcpSegment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ScatteringByteChannel;

/**
 * The sending half of a connection: SND.UNA, SND.NXT and the peer's window, the send ring, our FIN,
 * the retransmission and persist timers, loss recovery and the congestion controller.
 *
 * <p>Which segment goes next is RFC 6675's NextSeg over a {@link SackScoreboard}: (1) the first lost
 * byte not yet retransmitted, (2) new data, (3) during fast recovery, any un-SACKed byte not yet
 * retransmitted — each while {@code cwnd - pipe} allows a segment. Without SACK the same machinery
 * runs NewReno (RFC 6582): only the segment at SND.UNA is ever lost, after three duplicate ACKs or
 * a partial ACK, and each duplicate ACK stands for a segment that left the network (Linux's "SACK
 * emulation"). After a retransmission timeout every un-SACKed byte sent is lost and the scoreboard
 * is cleared (RFC 2018 §8), which is go-back-N paced by slow start.
 *
 * <p>Segments that use sequence space (data, FIN) are kept in the ring until acknowledged and can
 * be retransmitted; probes are not. SND.NXT never moves back: retransmissions are tracked by HighRxt.
 */
final class TcpSender {
    /** DupThresh of RFC 5681 / RFC 6675. */
    static final int DUP_THRESH = 3;

    /** What {@link #onAck} made of a segment's ACK field. */
    enum AckOutcome {
        /** The ACK was taken. */
        TAKEN,
        /** It acknowledges something not yet sent; answer with an ACK and drop it (RFC 9293 §3.10.7.4). */
        UNSENT,
        /** It is older than SND.UNA - MAX.SND.WND; challenge ACK and drop it (RFC 5961 §5.2). */
        TOO_OLD
    }

    /** What {@link #onTimer} found due. */
    enum TimerEvent {
        /** Nothing happened. */
        NONE,
        /** The retransmission timer fired; what to resend is now due. */
        RETRANSMIT,
        /** The persist timer fired with a zero window: send a window probe. */
        PROBE,
        /** Too many timeouts in a row; give the connection up. */
        GIVE_UP
    }

    private enum Recovery { NONE, FAST, LOSS }

    private final TcpConfig cfg;
    private final ByteRing ring;
    private final SackScoreboard scoreboard = new SackScoreboard();
    private final RttEstimator rtt;
    private final CongestionControl cc;
    private final int iss;
    private final int mss;
    private final int shift;
    private final boolean sack;

    private int una;
    private int nxt;
    private int bufferSeq;
    private int wnd;
    private int wl1;
    private int wl2;
    private int maxWnd;
    private boolean finQueued;
    private int finSeq;

    private Recovery recovery = Recovery.NONE;
    private int recoverySeq;
    private int highRxt;
    private int lostFloor;
    private int dupAcks;
    private boolean mustRetransmit;
    private boolean cwndLimited;

    private long rtoDeadline = Long.MAX_VALUE;
    private int timeouts;
    private long persistDeadline = Long.MAX_VALUE;
    private int persistBackoff;
    private boolean persistOverride;
    private boolean probeDue;
    private int probesUnanswered;
    private boolean heardSinceTimeout;
    private boolean timing;
    private int timedSeq;
    private long timedAt;
    private long lastSend = Long.MIN_VALUE;

    /** The segment {@link #prepare} chose: sequence number, payload length, FIN, whether it resends. */
    private int outSeq;
    private int outLen;
    private boolean outFin;
    private boolean outRetransmit;
    /** The payload of one segment on the wire when the chosen one is larger (the link cuts it), else 0. */
    private int outSegmentSize;

    /**
     * Starts sending with ISS {@code iss} to a peer whose SYN (sequence {@code irs}) offered
     * {@code synWindow} (never scaled), the window scale {@code shift} (0 without scaling), and segments
     * of {@code mss} payload bytes.
     */
    TcpSender(TcpConfig cfg, BufferMemory memory, int iss, int irs, int synWindow, int shift, int mss, boolean sack) {
        this.cfg = cfg;
        this.ring = new ByteRing(cfg.sendBufferSize(), ByteRing.FIRST_ALLOCATION, memory);
        this.rtt = new RttEstimator(cfg.initialRtoNanos(), cfg.minRtoNanos(), cfg.maxRtoNanos());
        this.cc = cfg.congestionControl().create(mss);
        this.iss = iss;
        this.mss = mss;
        this.shift = shift;
        this.sack = sack;
        this.una = iss;
        this.nxt = iss;
        this.bufferSeq = iss + 1;
        this.wnd = synWindow;
        this.maxWnd = synWindow;
        this.wl1 = irs;
        this.wl2 = iss;
        this.recoverySeq = iss;
        this.highRxt = iss;
        this.lostFloor = iss;
    }

    // ---- application side ----

    /** Returns how many bytes {@link #write} would take now. */
    int writable() {
        return finQueued ? 0 : ring.free();
    }

    /** Queues bytes from {@code src}; returns how many (0 after {@link #queueFin}). */
    int write(ByteBuffer src) {
        return finQueued ? 0 : ring.write(src);
    }

    /** Returns how many bytes {@link #writeFrom} takes now: the room the ring has without growing. */
    int writableInPlace() {
        return finQueued ? 0 : ring.freeInPlace();
    }

    /** Queues up to {@code max} bytes read from {@code channel} straight into the ring; returns how many, or -1 at its end. */
    int writeFrom(ScatteringByteChannel channel, int max) throws IOException {
        return finQueued ? 0 : ring.readFrom(channel, max);
    }

    /** Queues our FIN after everything written (RFC 9293 §3.10.4 CLOSE). */
    void queueFin() {
        if (finQueued) return;
        finQueued = true;
        finSeq = bufferSeq + ring.size();
        releaseIfDone();
    }

    /** Once our FIN is queued and every byte before it acknowledged, nothing more is sent: the ring's memory goes. */
    private void releaseIfDone() {
        if (finQueued && ring.size() == 0) ring.release();
    }

    // ---- the SYN-ACK ----

    /** The SYN-ACK went out (first time or again): SND.NXT covers the SYN and the timer runs. */
    void synSent(long nowNanos) {
        if (nxt == iss) {
            nxt = iss + 1;
            startTiming(iss, nowNanos);
        } else {
            timing = false;
        }
        if (rtoDeadline == Long.MAX_VALUE) rtoDeadline = nowNanos + rtt.timeout();
    }

    // ---- acknowledgments ----

    /** Takes the ACK field, window and SACK blocks of an acceptable segment; returns {@link AckOutcome#TAKEN} or why to drop it. */
    AckOutcome onAck(long nowNanos, TcpSegment seg) {
        int ack = seg.ackNumber();
        if (SeqNumber.gt(ack, nxt)) return AckOutcome.UNSENT;
        if (SeqNumber.lt(ack, una - maxWnd)) return AckOutcome.TOO_OLD;
        probesUnanswered = 0;
        heardSinceTimeout = true;
        int newlySacked = 0;
        if (sack) {
            for (int i = 0, n = seg.sackBlockCount(); i < n; i++) {
                newlySacked += scoreboard.add(seg.sackLeft(i), seg.sackRight(i), una, nxt);
            }
        }
        boolean windowChanged = false;
        if (SeqNumber.ge(ack, una)) windowChanged = updateWindow(seg.seqNumber(), ack, seg.window());
        if (SeqNumber.gt(ack, una)) {
            onNewAck(nowNanos, ack);
        } else if (ack == una && nxt != una && (sack
                ? newlySacked > 0
                : seg.payloadLength() == 0 && !seg.fin() && !windowChanged)) {
            onDuplicateAck(nowNanos);
        }
        return AckOutcome.TAKEN;
    }

    /** RFC 9293 §3.10.7.4 fifth, ESTABLISHED: take the window from the newest segment (SND.WL1, SND.WL2). */
    private boolean updateWindow(int seq, int ack, int field) {
        if (!(SeqNumber.lt(wl1, seq) || wl1 == seq && SeqNumber.le(wl2, ack))) return false;
        int window = field << shift;
        boolean changed = window != wnd;
        wnd = window;
        wl1 = seq;
        wl2 = ack;
        maxWnd = Math.max(maxWnd, window);
        if (window > 0) persistBackoff = 0;
        return changed;
    }

    private void onNewAck(long nowNanos, int ack) {
        int acked = ack - una;
        int dataAcked = Math.min(Math.max(ack - bufferSeq, 0), ring.size());
        ring.discard(dataAcked);
        bufferSeq += dataAcked;
        releaseIfDone();
        boolean wasLimited = cwndLimited || 2L * (nxt - una) >= cc.window();
        una = ack;
        scoreboard.advance(ack);
        if (SeqNumber.lt(highRxt, una)) highRxt = una;
        if (SeqNumber.lt(lostFloor, una)) lostFloor = una;
        if (timing && SeqNumber.gt(ack, timedSeq)) {
            rtt.sample(nowNanos - timedAt);
            timing = false;
        }
        timeouts = 0;
        rtt.resetBackoff();
        switch (recovery) {
            case FAST -> {
                if (SeqNumber.ge(ack, recoverySeq)) {
                    recovery = Recovery.NONE;
                    dupAcks = 0;
                    cc.onRecoveryEnd(nowNanos);
                } else {
                    // Partial ACK (RFC 6582 §3.2 step 5): the next hole starts at SND.UNA; resend it now.
                    if (!sack) dupAcks = Math.max(0, dupAcks - Math.max(0, acked / mss - 1));
                    lostFloor = SeqNumber.min(una + mss, nxt);
                    mustRetransmit = true;
                }
            }
            case LOSS -> {
                if (SeqNumber.ge(ack, recoverySeq)) {
                    recovery = Recovery.NONE;
                    dupAcks = 0;
                }
                cc.onAck(nowNanos, acked, rtt.srtt());
            }
            case NONE -> {
                dupAcks = 0;
                if (wasLimited) cc.onAck(nowNanos, acked, rtt.srtt());
            }
        }
        rtoDeadline = una == nxt ? Long.MAX_VALUE : nowNanos + rtt.timeout();
    }

    private void onDuplicateAck(long nowNanos) {
        dupAcks++;
        if (recovery != Recovery.NONE || SeqNumber.lt(una, recoverySeq)) return;
        boolean lost = dupAcks >= DUP_THRESH
                || sack && SeqNumber.lt(una, scoreboard.lostEdge(una, mss, DUP_THRESH));
        if (!lost) return;
        // Fast retransmit (RFC 5681 §3.2 / RFC 6675 §5 step 4): the segment at SND.UNA goes at once.
        recovery = Recovery.FAST;
        recoverySeq = nxt;
        highRxt = una;
        lostFloor = SeqNumber.min(una + mss, nxt);
        mustRetransmit = true;
        cc.onLoss(nowNanos, nxt - una);
    }

    // ---- what to send ----

    /**
     * Chooses the next segment that may go now, carrying at most {@code maxPayload} bytes, or, when it
     * sends new data and {@code maxLargePayload} is larger, a run of such segments in one, for the link
     * to cut ({@link #outSegmentSize}): whole segments only, as far as the peer's window and the
     * congestion window allow, and the last queued bytes. Returns whether there is one ({@link #outSeq}
     * and the others say which). Arms the persist timer when the peer's window holds back data and
     * nothing is in flight.
     */
    boolean prepare(long nowNanos, int maxPayload, int maxLargePayload) {
        int limit = Math.min(maxPayload, mss);
        int largeLimit = maxLargePayload > maxPayload ? Math.max(limit, maxLargePayload - maxLargePayload % limit) : limit;
        outSegmentSize = 0;
        int pipe = pipe();
        int budget = cc.window() - pipe;
        int lost = lostEdge();
        int from = SeqNumber.max(highRxt, una);
        // NextSeg (1): the first lost byte not yet retransmitted.
        int s = scoreboard.nextUnsacked(from);
        if (SeqNumber.lt(s, lost)) {
            choose(s, scoreboard.holeEnd(s, nxt), limit, true);
            if (mustRetransmit || budget >= outLen + (outFin ? 1 : 0)) return true;
            cwndLimited = true;
            return false;
        }
        // NextSeg (2): new data, within the peer's window and cwnd; FIN after the last byte.
        int dataEnd = bufferSeq + ring.size();
        int unsent = Math.max(dataEnd - nxt, 0);
        int room = una + wnd - nxt;
        if (unsent > 0) {
            if (una == nxt && lastSend != Long.MIN_VALUE && nowNanos - lastSend > rtt.timeout()) {
                cc.onIdle(nowNanos);
                lastSend = nowNanos;
                budget = cc.window();
            }
            int len = Math.min(unsent, largeLimit);
            if (len > limit) {
                // As many whole segments as the windows take; less than one goes the single-segment way.
                int fits = Math.min(room, budget);
                if (len > fits) len = Math.max(limit, fits - fits % limit);
            }
            if (len <= room && len <= budget) {
                choose(nxt, nxt + len + 1, len, false);
                if (outLen > limit) outSegmentSize = limit;
                return true;
            }
            cwndLimited = budget < len && budget < room;
            // Sender silly-window avoidance (RFC 1122 §4.2.3.4): a partial segment for a small window
            // only when it is half the largest window seen, or when the persist timer says so.
            if (room > 0 && room < len && room <= budget && (room >= maxWnd / 2 || persistOverride)) {
                choose(nxt, nxt + room + 1, room, false);
                return true;
            }
            if (!cwndLimited && una == nxt) armPersist(nowNanos);
            return false;
        }
        cwndLimited = false;
        if (finQueued && nxt == finSeq) {
            choose(nxt, nxt + 1, 0, false);
            return true;
        }
        // NextSeg (3): during fast recovery, anything not SACKed and not yet retransmitted below the highest SACK.
        if (recovery == Recovery.FAST && SeqNumber.lt(s, scoreboard.highestSacked(una)) && SeqNumber.lt(s, nxt)) {
            choose(s, scoreboard.holeEnd(s, nxt), limit, true);
            if (budget >= outLen + (outFin ? 1 : 0)) return true;
        }
        return false;
    }

    /** Fills the out fields with the segment at {@code seq}: up to {@code limit} payload bytes before {@code end}, and the FIN if it fits. */
    private void choose(int seq, int end, int limit, boolean retransmit) {
        int dataEnd = bufferSeq + ring.size();
        int len = Math.max(0, Math.min(limit, Math.min(end - seq, dataEnd - seq)));
        outSeq = seq;
        outLen = len;
        outFin = finQueued && seq + len == finSeq && SeqNumber.lt(finSeq, end);
        outRetransmit = retransmit;
    }

    /** Returns the sequence number of the chosen segment. */
    int outSeq() {
        return outSeq;
    }

    /** Returns the payload length of the chosen segment. */
    int outLen() {
        return outLen;
    }

    /** Returns whether the chosen segment carries our FIN. */
    boolean outFin() {
        return outFin;
    }

    /** Returns whether the chosen segment carries the last queued byte (it gets PSH). */
    boolean outPush() {
        return outLen > 0 && outSeq + outLen == bufferSeq + ring.size();
    }

    /** Returns the payload of each segment the link cuts the chosen one into, or 0: it goes as it is. */
    int outSegmentSize() {
        return outSegmentSize;
    }

    /** Returns whether the chosen segment is a retransmission. */
    boolean outRetransmit() {
        return outRetransmit;
    }

    /**
     * Points the send ring's views at the chosen segment's payload, for a link that reads it from
     * there ({@link SegmentSink#emitTcp}); returns how many views it takes (1, or 2 where it wraps).
     */
    int payloadRuns() {
        return ring.runs(outSeq - bufferSeq, outLen);
    }

    /** Returns view {@code i} of the chosen segment's payload, as {@link #payloadRuns} set it. */
    ByteBuffer payloadRun(int i) {
        return ring.run(i);
    }

    /** Copies the chosen segment's payload to absolute {@code off} of {@code dst}. */
    void copyPayload(ByteBuffer dst, int off) {
        ring.copyOut(outSeq - bufferSeq, dst, off, outLen);
    }

    /** The chosen segment went out: advance SND.NXT or HighRxt, time it, and run the retransmission timer. */
    void commit(long nowNanos) {
        int end = outSeq + outLen + (outFin ? 1 : 0);
        if (outRetransmit) {
            // Karn: a retransmission makes any timing in progress ambiguous.
            timing = false;
            highRxt = SeqNumber.max(highRxt, end);
            mustRetransmit = false;
        } else {
            if (!timing) startTiming(outSeq, nowNanos);
            nxt = SeqNumber.max(nxt, end);
        }
        persistDeadline = Long.MAX_VALUE;
        persistOverride = false;
        lastSend = nowNanos;
        if (rtoDeadline == Long.MAX_VALUE) rtoDeadline = nowNanos + rtt.timeout();
    }

    // ---- timers ----

    /** Returns when {@link #onTimer} must next run. */
    long timerDeadline() {
        return Math.min(rtoDeadline, persistDeadline);
    }

    /**
     * Runs the retransmission and persist timers. {@code handshake} says the SYN-ACK is what is
     * outstanding. Returns what fired.
     */
    TimerEvent onTimer(long nowNanos, boolean handshake) {
        if (nowNanos >= rtoDeadline) {
            if (una == nxt) {
                rtoDeadline = Long.MAX_VALUE;
            } else {
                // A peer that shrank its window to zero drops what we resend but still answers: its
                // retransmissions are window probes, and do not count towards giving up (as Linux does).
                if (handshake || wnd != 0 || !heardSinceTimeout) timeouts++;
                heardSinceTimeout = false;
                if (timeouts > (handshake ? cfg.maxSynAckRetransmissions() : cfg.maxRetransmissions())) {
                    return TimerEvent.GIVE_UP;
                }
                rtt.backOff();
                timing = false;
                rtoDeadline = nowNanos + rtt.timeout();
                if (!handshake) enterLoss(nowNanos);
                return TimerEvent.RETRANSMIT;
            }
        }
        if (nowNanos >= persistDeadline) {
            persistDeadline = Long.MAX_VALUE;
            if (++probesUnanswered > cfg.maxRetransmissions()) return TimerEvent.GIVE_UP;
            if (persistBackoff < 30) persistBackoff++;
            if (una + wnd - nxt <= 0) {
                probeDue = true;
                return TimerEvent.PROBE;
            }
            persistOverride = true;
            return TimerEvent.RETRANSMIT;
        }
        return TimerEvent.NONE;
    }

    /** RTO expiry (RFC 6298 §5.4–5.6, RFC 5681 §3.1, RFC 2018 §8): everything outstanding is lost. */
    private void enterLoss(long nowNanos) {
        cc.onTimeout(nowNanos, nxt - una, timeouts == 1);
        recovery = Recovery.LOSS;
        recoverySeq = nxt;
        lostFloor = nxt;
        highRxt = una;
        dupAcks = 0;
        scoreboard.clear();
        mustRetransmit = true;
    }

    /** Returns whether a zero-window probe is due. */
    boolean probeDue() {
        return probeDue;
    }

    /** A window probe went out: wait for its answer with the backed-off persist timeout. */
    void probeSent(long nowNanos) {
        probeDue = false;
        persistDeadline = nowNanos + persistTimeout();
    }

    private void armPersist(long nowNanos) {
        if (persistDeadline == Long.MAX_VALUE) persistDeadline = nowNanos + persistTimeout();
    }

    private long persistTimeout() {
        long t = rtt.rto();
        for (int i = 0; i < persistBackoff && t < cfg.maxRtoNanos(); i++) t <<= 1;
        return Math.min(t, cfg.maxRtoNanos());
    }

    private void startTiming(int seq, long nowNanos) {
        timing = true;
        timedSeq = seq;
        timedAt = nowNanos;
    }

    // ---- loss accounting (RFC 6675 §4) ----

    /** Returns the edge below which un-SACKed bytes count as lost, within [SND.UNA, SND.NXT]. */
    private int lostEdge() {
        int edge = una;
        if (recovery != Recovery.NONE) edge = SeqNumber.max(edge, lostFloor);
        if (sack && !scoreboard.isEmpty()) edge = SeqNumber.max(edge, scoreboard.lostEdge(una, mss, DUP_THRESH));
        return SeqNumber.min(edge, nxt);
    }

    /** Returns RFC 6675's pipe: bytes believed in the network (not SACKed, not lost, or lost and resent). */
    int pipe() {
        int lost = lostEdge();
        int resent = SeqNumber.min(SeqNumber.max(highRxt, una), lost);
        long p = (long) (nxt - lost) - scoreboard.sackedBetween(lost, nxt)
                + (resent - una) - scoreboard.sackedBetween(una, resent);
        if (!sack) p -= (long) dupAcks * mss;
        return (int) Math.max(0, p);
    }

    // ---- state for the connection ----

    /** Returns SND.UNA. */
    int una() {
        return una;
    }

    /** Returns SND.NXT. */
    int nxt() {
        return nxt;
    }

    /** Returns SND.WND, scaled. */
    int window() {
        return wnd;
    }

    /** Returns the payload bytes per full segment. */
    int mss() {
        return mss;
    }

    /** Returns whether our FIN is queued (shutdown called). */
    boolean finQueued() {
        return finQueued;
    }

    /** Returns whether our FIN has been acknowledged. */
    boolean finAcked() {
        return finQueued && SeqNumber.gt(una, finSeq);
    }

    /** Returns whether nothing is queued or in flight: the send side is idle. */
    boolean idle() {
        return una == nxt && ring.size() == 0 && (!finQueued || SeqNumber.gt(nxt, finSeq));
    }

    /** Returns the congestion controller. */
    CongestionControl congestionControl() {
        return cc;
    }

    /** Returns the RTT estimator. */
    RttEstimator rtt() {
        return rtt;
    }

    /** The connection is forgotten: the ring's memory goes back, whatever it held. */
    void dispose() {
        ring.dispose();
    }

    /** Returns the bytes allocated for the send ring. */
    int allocated() {
        return ring.allocated();
    }
}
