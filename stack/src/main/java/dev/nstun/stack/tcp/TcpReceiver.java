package dev.nstun.stack.tcp;

import dev.nstun.stack.wire.SeqNumber;
import dev.nstun.stack.wire.TcpSegment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;

/**
 * The receiving half of a connection: RCV.NXT and the window we advertise, the receive ring with
 * its out-of-order part, the FIN, the SACK blocks we report, TS.Recent, and when to acknowledge.
 *
 * <p>Window (RFC 9293 §3.8.6.2, RFC 1122 §4.2.3.3): the right edge we advertise ({@code rcvAdv})
 * never moves left, never lies beyond the free space of the ring (so anything inside the window
 * fits), and moves right only by at least min(buffer / 2, MSS) — receiver-side silly-window
 * avoidance. Data beyond it is trimmed.
 *
 * <p>Acknowledgments (RFC 1122 §4.2.3.2, RFC 5681 §4.2): every second full-sized segment, within
 * {@link TcpConfig#delayedAckNanos} otherwise; at once for the first
 * {@link TcpConfig#quickAckSegments} segments, for out-of-order data and data filling a hole, for
 * FIN, and when reading opens the window a lot.
 *
 * <p>A quick ACK of a pushed segment is held for the reply instead ({@link #holdsAck}): a request
 * (PSH: its sender has sent what it had) is typically answered at once, and its ACK then rides on
 * the answer, one packet fewer per request. The loop holds it no longer than its next turn. Any ACK
 * that waits, held or delayed ({@link #ackWaits}), goes when the loop would otherwise wait
 * ({@link #releaseAck}): a sender whose Nagle algorithm waits for that ACK before it sends the rest
 * of its request is never left waiting on a timer while the loop is idle (between two Linux hosts
 * it waits out the 40 ms delayed ACK). Left alone, a held ACK is a delayed one.
 *
 * <p>The loop hands segments over in batches (whatever the TUN holds) and dispatches after each
 * batch. Within a batch, in-order data may fold into one stretch ACK of at most {@link #stretchLimit}
 * bytes, as GRO makes a Linux receiver do; an ACK that carries news of loss — a duplicate ACK for
 * out-of-order data, the ACK of a filled hole, the answer to an unacceptable segment — never folds:
 * {@link #ackBeforeNextSegment} tells the loop to dispatch before the next segment, so the sender
 * sees one duplicate ACK per out-of-order segment and at least four ACKs per window.
 */
final class TcpReceiver {
    /** PAWS forgets TS.Recent after 24 days idle (RFC 7323 §5.5). */
    static final long PAWS_IDLE_NANOS = 24L * 24 * 3600 * 1_000_000_000L;

    private final ByteRing ring;
    private final OutOfOrderRanges outOfOrder = new OutOfOrderRanges();
    private final int shift;
    private final int ourMss;
    private final long delayedAckNanos;

    private int rcvNxt;
    private int rcvAdv;
    private boolean finPending;
    private int finSeq;
    private boolean finReceived;

    private boolean ackPending;
    private boolean ackNow;
    /** The pending ACK is a quick ACK held for the reply (see the class comment). */
    private boolean ackHeld;
    private boolean ackBeforeNext;
    private long ackDeadline = Long.MAX_VALUE;
    private int unackedBytes;
    private int quickAcks;
    private int rcvMss;

    /** Takes in-order bytes before the ring would store them (see {@link DirectReader}); null: none. */
    private DirectReader direct;

    private final boolean timestamps;
    private int tsRecent;
    private long tsRecentAt;
    private int lastAckSent;

    /**
     * Starts receiving after the SYN of sequence number {@code irs}. {@code shift} is our window scale
     * (0 without scaling); {@code timestamps} whether they were negotiated, {@code synTsVal} the SYN's TSval.
     */
    TcpReceiver(TcpConfig cfg, BufferMemory memory, int irs, int shift, int ourMss, boolean timestamps, int synTsVal,
                long nowNanos) {
        this.ring = new ByteRing(cfg.receiveBufferSize(), ByteRing.FIRST_ALLOCATION, memory);
        this.shift = shift;
        this.ourMss = ourMss;
        this.delayedAckNanos = cfg.delayedAckNanos();
        this.quickAcks = cfg.quickAckSegments();
        this.rcvMss = Math.min(ourMss, 536);
        this.rcvNxt = irs + 1;
        this.rcvAdv = rcvNxt;
        this.lastAckSent = rcvNxt;
        this.timestamps = timestamps;
        this.tsRecent = synTsVal;
        this.tsRecentAt = nowNanos;
    }

    /** Returns RCV.NXT. */
    int nxt() {
        return rcvNxt;
    }

    /** Returns RCV.WND: what is left of the window last advertised. */
    int window() {
        return SeqNumber.lt(rcvAdv, rcvNxt) ? 0 : rcvAdv - rcvNxt;
    }

    /** Returns the right edge of the window as advertised so far. */
    int advertisedEdge() {
        return rcvAdv;
    }

    /** The segment acceptability test of RFC 9293 §3.10.7.4 for a segment at {@code seq} occupying {@code len}. */
    boolean acceptable(int seq, int len) {
        int wnd = window();
        if (len == 0) return wnd == 0 ? seq == rcvNxt : SeqNumber.inWindow(seq, rcvNxt, wnd);
        if (wnd == 0) return false;
        return SeqNumber.inWindow(seq, rcvNxt, wnd) || SeqNumber.inWindow(seq + len - 1, rcvNxt, wnd);
    }

    /** PAWS (RFC 7323 §5.3 R1): whether a non-RST segment carries a TSval older than TS.Recent. */
    boolean pawsRejects(long nowNanos, TcpSegment seg) {
        return timestamps && seg.hasTimestamps() && !seg.rst()
                && SeqNumber.lt(seg.timestampValue(), tsRecent) && nowNanos - tsRecentAt < PAWS_IDLE_NANOS;
    }

    /** Records an acceptable segment's TSval as TS.Recent if it covers the last ACK sent (RFC 7323 §4.3). */
    void updateTimestamp(long nowNanos, TcpSegment seg) {
        if (timestamps && seg.hasTimestamps() && SeqNumber.le(seg.seqNumber(), lastAckSent)
                && SeqNumber.ge(seg.timestampValue(), tsRecent)) {
            tsRecent = seg.timestampValue();
            tsRecentAt = nowNanos;
        }
    }

    /** Returns TS.Recent, the TSecr of our segments. */
    int tsRecent() {
        return tsRecent;
    }

    /**
     * Takes the payload and FIN of an acceptable segment: in-order bytes become readable, bytes
     * ahead of a hole are parked, bytes outside the window are trimmed. Returns whether the peer's
     * FIN has now been reached (RCV.NXT passed it), which happens once.
     */
    boolean onText(long nowNanos, TcpSegment seg) {
        if (finReceived) return false;
        int start = seg.seqNumber();
        int length = seg.payloadLength();
        int end = start + length;
        int from = SeqNumber.max(start, rcvNxt);
        int to = SeqNumber.min(end, rcvAdv);
        if (length > 0) rcvMss = Math.max(rcvMss, Math.min(length, ourMss));
        if (SeqNumber.lt(from, to)) {
            int offset = seg.payloadOffset() + (from - start);
            if (from == rcvNxt) {
                boolean filledHole = !outOfOrder.isEmpty();
                // Readable at once, with nothing stored ahead: the direct reader may take them from the segment.
                int taken = direct != null && !filledHole && ring.size() == 0 ? direct.take(seg.buffer(), offset, to - from) : 0;
                ring.writeAt(0, seg.buffer(), offset + taken, to - from - taken);
                int next = outOfOrder.advance(to);
                ring.commit(next - rcvNxt - taken);
                unackedBytes += next - rcvNxt;
                rcvNxt = next;
                if (filledHole) ackNow();
                scheduleAck(nowNanos, seg.psh());
            } else {
                ring.writeAt(from - rcvNxt, seg.buffer(), offset, to - from);
                outOfOrder.add(from, to);
                ackNow();
            }
        } else if (length > 0) {
            ackNow();
        }
        if (seg.fin() && to == end && !finReceived && SeqNumber.ge(end, rcvNxt)) {
            finPending = true;
            finSeq = end;
            ackNow();
        }
        if (finPending && rcvNxt == finSeq) {
            finPending = false;
            finReceived = true;
            rcvNxt++;
            ackNow();
            releaseIfDone();
            return true;
        }
        return false;
    }

    /** Sets who takes in-order bytes straight from their segment (null: the ring stores every byte). */
    void directReader(DirectReader reader) {
        direct = reader;
    }

    /** Asks for an ACK at once, before the next segment (out-of-window segment, challenge ACK, dropped data, FIN). */
    void ackNow() {
        ackNow = true;
        ackBeforeNext = true;
    }

    /** Returns whether a quick ACK waits for the reply to carry it (see the class comment). */
    boolean holdsAck() {
        return ackHeld && !ackNow;
    }

    /** Returns whether an ACK waits, held for the reply or delayed: it is pending, not yet due at once. */
    boolean ackWaits() {
        return ackPending && !ackNow;
    }

    /** The loop would wait (or, for a held ACK, its turn is over): the ACK that waits goes with the next dispatch. */
    void releaseAck() {
        if (ackPending) ackNow = true;
    }

    /** Returns whether the ACK due may not fold into the next segment's: the loop must dispatch first. */
    boolean ackBeforeNextSegment() {
        return ackBeforeNext;
    }

    /** Returns whether an ACK is due at {@code nowNanos}. */
    boolean ackDue(long nowNanos) {
        return ackNow || ackPending && nowNanos >= ackDeadline;
    }

    /** Returns when a delayed ACK falls due: {@link Long#MIN_VALUE} for now, {@link Long#MAX_VALUE} for never. */
    long ackDeadline() {
        return ackNow ? Long.MIN_VALUE : ackPending ? ackDeadline : Long.MAX_VALUE;
    }

    /** A segment carrying our ACK, window and SACK blocks went out: nothing is pending any more. */
    void onAckSent() {
        ackPending = false;
        ackNow = false;
        ackHeld = false;
        ackBeforeNext = false;
        ackDeadline = Long.MAX_VALUE;
        unackedBytes = 0;
        lastAckSent = rcvNxt;
    }

    /** Returns the window field for the SYN-ACK, never scaled (RFC 7323 §2.2), and records it as advertised. */
    int synWindowField() {
        int window = Math.min(ring.free(), 65535);
        rcvAdv = rcvNxt + window;
        return window;
    }

    /** Returns the window field for a segment we send now (scaled), moving the right edge per the SWS rule. */
    int windowField() {
        int candidate = candidateEdge();
        int increase = candidate - rcvAdv;
        if (increase > 0 && increase >= swsThreshold()) rcvAdv = candidate;
        if (SeqNumber.lt(rcvAdv, rcvNxt)) rcvAdv = rcvNxt;
        return Math.min((rcvAdv - rcvNxt) >>> shift, 65535);
    }

    /** Returns up to {@code max} SACK blocks for our next ACK into {@code edges} (left, right pairs), most recent first. */
    int sackBlocks(int[] edges, int max) {
        return outOfOrder.recentFirst(edges, max);
    }

    /** Returns how many in-order bytes wait to be read. */
    int readable() {
        return ring.size();
    }

    /**
     * Moves readable bytes into {@code dst}; returns the count. Asks for an ACK at once when this
     * lets the window at least double and grow by the SWS threshold, so a stalled peer resumes.
     */
    int read(ByteBuffer dst) {
        return consume(peek(dst));
    }

    /** Copies up to {@code dst.remaining()} readable bytes into {@code dst}, leaving them readable; returns the count. */
    int peek(ByteBuffer dst) {
        int n = Math.min(dst.remaining(), ring.size());
        ring.copyOut(0, dst, dst.position(), n);
        dst.position(dst.position() + n);
        return n;
    }

    /**
     * Writes readable bytes straight from the ring to {@code channel}, as many as it takes, and takes
     * those as {@link #read} does; returns the count.
     */
    int readTo(GatheringByteChannel channel) throws IOException {
        return consume(ring.writeTo(channel, ring.size()));
    }

    /** Takes the first {@code n} readable bytes (already copied out with {@link #peek}); as {@link #read} for the window. */
    int consume(int n) {
        ring.discard(n);
        releaseIfDone();
        if (n > 0) {
            int candidate = candidateEdge() - rcvNxt;
            int current = window();
            if (candidate - current >= swsThreshold() && current < candidate / 2) ackNow = true;
        }
        return n;
    }

    /** Returns whether the peer's FIN has been reached. */
    boolean finReceived() {
        return finReceived;
    }

    /** Returns the number of out-of-order ranges held (for tests and statistics). */
    int outOfOrderRanges() {
        return outOfOrder.count();
    }

    /** Once the FIN is in and every byte before it read, nothing more is received: the ring's memory goes. */
    private void releaseIfDone() {
        if (finReceived && ring.size() == 0) ring.release();
    }

    /** The connection is forgotten: the ring's memory goes back, whatever it held. */
    void dispose() {
        ring.dispose();
    }

    /** Returns the bytes allocated for the receive ring. */
    int allocated() {
        return ring.allocated();
    }

    /** In-order data arrived ({@code pushed}: with PSH): when its ACK goes. */
    private void scheduleAck(long nowNanos, boolean pushed) {
        ackPending = true;
        if (unackedBytes >= stretchLimit()) ackBeforeNext = true;
        if (quickAcks > 0 && pushed && unackedBytes < 2 * rcvMss) {
            quickAcks--;
            ackHeld = true;
            if (ackDeadline == Long.MAX_VALUE) ackDeadline = nowNanos + delayedAckNanos;
        } else if (quickAcks > 0) {
            quickAcks--;
            ackNow = true;
        } else if (unackedBytes >= 2 * rcvMss) {
            ackNow = true;
        } else if (ackDeadline == Long.MAX_VALUE) {
            ackDeadline = nowNanos + delayedAckNanos;
        }
    }

    /**
     * Returns how many in-order bytes one ACK may cover within a batch: two full segments (RFC 5681 §4.2)
     * or, when more, a quarter of the buffer up to 64 KiB (GRO's largest aggregate), so that the sender
     * gets at least four ACKs per window and losing one costs it nothing.
     */
    private int stretchLimit() {
        return Math.max(2 * rcvMss, Math.min(64 * 1024, ring.limit() / 4));
    }

    /** Returns the right edge the free space would allow, rounded down to what the scaled field can say. */
    private int candidateEdge() {
        return rcvNxt + (Math.min(ring.free() >>> shift, 65535) << shift);
    }

    /**
     * Returns min(buffer / 2, Eff.snd.MSS) of RFC 1122 §4.2.3.3, with what the buffer may hold now as the
     * buffer (under memory pressure that can be as little as {@link BufferMemory#GUARANTEED}: with the
     * full capacity there, freeing the guaranteed bytes would never reopen a closed window), the peer's
     * largest segment so far as
     * the MSS (Linux's rcv_mss) and rounded down to what the scaled window field can say: the candidate
     * edge is rounded down too, and otherwise freeing exactly one full segment (MSS less the options,
     * seldom a multiple of the scale unit) would never be enough to open the window.
     */
    private int swsThreshold() {
        int threshold = Math.min(ring.limit() / 2, rcvMss);
        return Math.max(1 << shift, threshold >>> shift << shift);
    }
}
