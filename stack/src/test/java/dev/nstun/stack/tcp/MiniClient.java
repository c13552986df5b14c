package dev.nstun.stack.tcp;

import dev.nstun.stack.wire.TcpSegment;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A minimal active opener for tests, written independently of {@link TcpSender} and
 * {@link TcpReceiver} so that the two-party tests do not check our code against itself: it plays
 * the wrapped command's kernel. It sends SYN with MSS, window scale, SACK-permitted and timestamps,
 * uploads a byte array then FIN, and downloads until our FIN.
 *
 * <p>Deliberately simple where it may be: it acknowledges every segment with up to three SACK
 * blocks, keeps every out-of-order segment, always advertises its whole (never full) buffer, sends
 * with a fixed congestion window, and recovers by fast retransmit of the first segment after three
 * duplicate ACKs and by go-back-N on a fixed, backed-off timeout, which also sends the next segment
 * when the window is closed with nothing in flight (persist). Public for the fuzz target
 * {@code dev.nstun.stack.fuzz.StackFuzzTest}. Sequence numbers are kept as
 * offsets from the ISNs (longs), the wire carries them modulo 2^32.
 */
public final class MiniClient {
    static final int WINDOW_SHIFT = 7;
    static final int BUFFER = 1 << 20;
    static final int CWND = 64 * 1024;
    static final long RTO = 300 * TcpTestSupport.MS;

    private enum State { SYN_SENT, ESTABLISHED }

    private final int iss;
    private final int offeredMss;
    private final byte[] upload;
    private final MessageDigest downloaded;
    private State state = State.SYN_SENT;
    private long synDeadline = Long.MIN_VALUE;

    private int irs;
    private int peerShift;
    private int mss;
    private long peerWindow;
    private long una;
    private long nxt;
    private long rtoDeadline = Long.MAX_VALUE;
    private int backoff;
    private int dupAcks;
    private boolean fastRetransmit;

    private long rcvNxt;
    private long finAt = -1;
    private boolean finReceived;
    private final TreeMap<Long, byte[]> outOfOrder = new TreeMap<>();
    private long lastOutOfOrder = -1;
    private long received;
    private boolean ackDue;
    private int tsRecent;

    private int resets;
    private long segmentsReceived;

    /** A client with ISN {@code iss} that offers {@code offeredMss} and will upload {@code upload}. */
    public MiniClient(int iss, int offeredMss, byte[] upload) {
        this.iss = iss;
        this.offeredMss = offeredMss;
        this.upload = upload;
        try {
            this.downloaded = MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Returns whether the upload and its FIN are acknowledged and our FIN arrived after the whole download. */
    public boolean done() {
        return state == State.ESTABLISHED && una == upload.length + 1L && finReceived;
    }

    public long bytesDownloaded() {
        return received;
    }

    public byte[] downloadDigest() {
        try {
            return ((MessageDigest) downloaded.clone()).digest();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }

    public int resetsReceived() {
        return resets;
    }

    /** Returns when {@link #dispatch} must next run. */
    public long pollAt() {
        if (state == State.SYN_SENT) return synDeadline;
        if (ackDue || fastRetransmit || canSendNew()) return Long.MIN_VALUE;
        return rtoDeadline;
    }

    /** Takes a packet already verified and parsed. */
    public void process(long now, TcpSegment seg) {
        segmentsReceived++;
        if (seg.rst()) {
            resets++;
            return;
        }
        if (state == State.SYN_SENT) {
            if (!seg.syn() || !seg.ack() || seg.ackNumber() != iss + 1) return;
            irs = seg.seqNumber();
            peerShift = Math.max(seg.windowScale(), 0);
            mss = Math.min(seg.mss(), offeredMss) - 12;
            peerWindow = seg.window();
            tsRecent = seg.timestampValue();
            state = State.ESTABLISHED;
            ackDue = true;
            return;
        }
        if (seg.syn()) {
            ackDue = true;
            return;
        }
        if (seg.hasTimestamps()) tsRecent = seg.timestampValue();
        long ack = una + (seg.ackNumber() - (int) (iss + 1 + una));
        if (ack > una && ack <= nxt) {
            una = ack;
            dupAcks = 0;
            backoff = 0;
            rtoDeadline = una < nxt || nxt <= upload.length ? now + RTO : Long.MAX_VALUE;
        } else if (ack == una && seg.payloadLength() == 0 && !seg.fin() && una < nxt && ++dupAcks == 3) {
            fastRetransmit = true;
        }
        peerWindow = (long) seg.window() << peerShift;
        int length = seg.payloadLength();
        if (length == 0 && !seg.fin()) return;
        ackDue = true;
        long at = rcvNxt + (seg.seqNumber() - (int) (irs + 1 + rcvNxt));
        if (length > 0) {
            byte[] payload = new byte[length];
            seg.buffer().get(seg.payloadOffset(), payload);
            if (at > rcvNxt) {
                outOfOrder.putIfAbsent(at, payload);
                lastOutOfOrder = at;
            } else if (at + length > rcvNxt) {
                deliver(payload, (int) (rcvNxt - at));
            }
            for (Map.Entry<Long, byte[]> e = outOfOrder.firstEntry(); e != null && e.getKey() <= rcvNxt;
                 e = outOfOrder.firstEntry()) {
                outOfOrder.pollFirstEntry();
                if (e.getKey() + e.getValue().length > rcvNxt) deliver(e.getValue(), (int) (rcvNxt - e.getKey()));
            }
        }
        if (seg.fin()) finAt = at + length;
        if (finAt >= 0 && rcvNxt == finAt && !finReceived) finReceived = true;
    }

    private void deliver(byte[] payload, int from) {
        downloaded.update(payload, from, payload.length - from);
        received += payload.length - from;
        rcvNxt += payload.length - from;
    }

    /** Returns the packets due at {@code now}. */
    public List<ByteBuffer> dispatch(long now) {
        List<ByteBuffer> out = new ArrayList<>();
        if (state == State.SYN_SENT) {
            if (now >= synDeadline) {
                Seg syn = new Seg(TcpSegment.SYN, iss, 0, 65535, new byte[0], offeredMss, WINDOW_SHIFT, true,
                        tsVal(now), 0, new int[0]);
                out.add(TcpTestSupport.packet(syn));
                synDeadline = now + 1000 * TcpTestSupport.MS;
            }
            return out;
        }
        if (now >= rtoDeadline && una < nxt) {
            nxt = una;
            backoff = Math.min(backoff + 1, 6);
            rtoDeadline = now + (RTO << backoff);
        } else if (now >= rtoDeadline && nxt <= upload.length && !canSendNew()) {
            // Persist: the window is closed with nothing in flight, and the update that opens it may be lost.
            int length = (int) Math.min(mss, upload.length - nxt);
            out.add(segment(now, nxt));
            nxt += length + (nxt + length == upload.length ? 1 : 0);
            backoff = Math.min(backoff + 1, 6);
            rtoDeadline = now + (RTO << backoff);
        } else if (now >= rtoDeadline) {
            rtoDeadline = una < nxt || nxt <= upload.length ? now + (RTO << backoff) : Long.MAX_VALUE;
        }
        if (fastRetransmit) {
            fastRetransmit = false;
            out.add(segment(now, una));
        }
        while (canSendNew()) {
            int length = (int) Math.min(mss, upload.length - nxt);
            out.add(segment(now, nxt));
            nxt += length + (nxt + length == upload.length ? 1 : 0);
            if (rtoDeadline == Long.MAX_VALUE) rtoDeadline = now + RTO;
        }
        if (ackDue) out.add(segment(now, -1));
        return out;
    }

    private boolean canSendNew() {
        return state == State.ESTABLISHED && nxt <= upload.length && nxt - una < Math.min(peerWindow, CWND);
    }

    /** Returns the segment starting at upload offset {@code from} (-1: a pure ACK at SND.NXT); every segment carries the ACK. */
    private ByteBuffer segment(long now, long from) {
        ackDue = false;
        long seqOffset = from < 0 ? nxt : from;
        int length = from < 0 || from >= upload.length ? 0 : (int) Math.min(mss, upload.length - from);
        boolean fin = from >= 0 && from + length == upload.length;
        int start = length == 0 ? 0 : (int) from;
        byte[] payload = java.util.Arrays.copyOfRange(upload, start, start + length);
        int flags = TcpSegment.ACK | (fin ? TcpSegment.FIN : 0) | (length > 0 ? TcpSegment.PSH : 0);
        long ackOffset = rcvNxt + (finReceived ? 1 : 0);
        Seg s = new Seg(flags, (int) (iss + 1 + seqOffset), (int) (irs + 1 + ackOffset), BUFFER >> WINDOW_SHIFT, payload,
                -1, -1, false, tsVal(now), tsRecent, sackEdges());
        return TcpTestSupport.packet(s);
    }

    /** Returns up to three SACK blocks: the one holding the latest out-of-order segment first, then the others. */
    private int[] sackEdges() {
        List<long[]> ranges = new ArrayList<>();
        for (Map.Entry<Long, byte[]> e : outOfOrder.entrySet()) {
            long l = e.getKey();
            long r = l + e.getValue().length;
            if (!ranges.isEmpty() && ranges.get(ranges.size() - 1)[1] >= l) {
                long[] last = ranges.get(ranges.size() - 1);
                last[1] = Math.max(last[1], r);
            } else {
                ranges.add(new long[]{l, r});
            }
        }
        ranges.sort((a, b) -> (lastOutOfOrder >= a[0] && lastOutOfOrder < a[1]) ? -1
                : (lastOutOfOrder >= b[0] && lastOutOfOrder < b[1]) ? 1 : Long.compare(b[0], a[0]));
        int n = Math.min(3, ranges.size());
        int[] edges = new int[2 * n];
        for (int i = 0; i < n; i++) {
            edges[2 * i] = (int) (irs + 1 + ranges.get(i)[0]);
            edges[2 * i + 1] = (int) (irs + 1 + ranges.get(i)[1]);
        }
        return edges;
    }

    private static int tsVal(long now) {
        return (int) (now / TcpTestSupport.MS) + 1;
    }
}
