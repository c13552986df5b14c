package dev.nstun.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nstun.stack.wire.PacketBuilder;
import dev.nstun.stack.wire.SeqNumber;
import dev.nstun.stack.wire.TcpSegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Templates, helpers and fixtures for the TCP tests, after smoltcp's socket/tcp.rs tests: the
 * command is REMOTE (its ISN just below the 2^32 wrap), we are LOCAL (ISN pinned), time is explicit
 * milliseconds, and every segment goes through real packets.
 */
class TcpTestSupport {
    static final int LOCAL_ADDR = 0x01020304;
    static final int LOCAL_PORT = 80;
    static final int REMOTE_ADDR = 0x0a000002;
    static final int REMOTE_PORT = 49152;
    static final SeqNumber LOCAL_SEQ = new SeqNumber(10_000);
    static final SeqNumber REMOTE_SEQ = SeqNumber.of(0xffff_fff0L);
    static final int MSS = 1460;
    static final long MS = 1_000_000L;

    /** Delayed ACK off, quick ACKs off, keepalive off, NewReno, 64 KiB buffers (no scaling needed): each test turns on what it tests. */
    static final TcpConfig CFG = TcpConfig.defaults(1500).withBuffers(65535, 65535).withDelayedAck(0, 0)
            .withKeepalive(0, 0, 0).withCongestionControl(NewReno::new);

    private static final byte[] NOTHING = new byte[0];

    /** What the command sends after the handshake: an ACK at REMOTE_SEQ + 1 acknowledging our SYN. */
    static final Seg SEND_TEMPL = new Seg(TcpSegment.ACK, REMOTE_SEQ.plus(1).value(), LOCAL_SEQ.plus(1).value(), 65535,
            NOTHING, -1, -1, false, null, 0, new int[0]);
    /** What we send after the handshake: an ACK at LOCAL_SEQ + 1 acknowledging the command's SYN, full window. */
    static final Seg RECV_TEMPL = new Seg(TcpSegment.ACK, LOCAL_SEQ.plus(1).value(), REMOTE_SEQ.plus(1).value(), 65535,
            NOTHING, -1, -1, false, null, 0, new int[0]);
    /** The command's SYN: MSS only. */
    static final Seg SYN = SEND_TEMPL.withFlags(TcpSegment.SYN).withSeq(REMOTE_SEQ).withAck(new SeqNumber(0)).withMss(MSS);
    /** Our SYN-ACK to {@link #SYN}. */
    static final Seg SYN_ACK = RECV_TEMPL.withFlags(TcpSegment.SYN | TcpSegment.ACK).withSeq(LOCAL_SEQ).withMss(MSS);

    static long ms(long millis) {
        return millis * MS;
    }

    static ByteBuffer packet(Seg s) {
        return s.toPacket(REMOTE_ADDR, REMOTE_PORT, LOCAL_ADDR, LOCAL_PORT);
    }

    /** The command sends {@code seg} at {@code atMillis}; returns whether the connection says a reply is due at once. */
    static boolean send(TcpConnection conn, long atMillis, Seg seg) {
        return conn.process(ms(atMillis), Seg.tcp(packet(seg)));
    }

    /** Returns every segment {@code dispatch} emits at {@code atMillis}. */
    static List<Seg> recvAll(TcpConnection conn, long atMillis) {
        Sink sink = new Sink(Integer.MAX_VALUE);
        int n = conn.dispatch(ms(atMillis), sink);
        assertEquals(sink.packets.size(), n, "dispatch count vs packets emitted");
        List<Seg> segs = new ArrayList<>();
        for (ByteBuffer p : sink.packets) segs.add(parseOurs(p));
        return segs;
    }

    /** Asserts that {@code dispatch} at {@code atMillis} emits exactly {@code want}. */
    static void recv(TcpConnection conn, long atMillis, Seg want) {
        List<Seg> got = recvAll(conn, atMillis);
        if (got.size() != 1) fail("segments at " + atMillis + " ms: got " + got.size() + " " + got + ", want 1: " + want);
        List<String> d = got.get(0).differencesFrom(want);
        if (!d.isEmpty()) fail("segment at " + atMillis + " ms (" + got.get(0) + "):\n  " + String.join("\n  ", d));
    }

    /** Asserts that {@code dispatch} at {@code atMillis} emits nothing. */
    static void recvNothing(TcpConnection conn, long atMillis) {
        List<Seg> got = recvAll(conn, atMillis);
        if (!got.isEmpty()) fail("segments at " + atMillis + " ms: got " + got + ", want none");
    }

    /** Parses a packet we emitted and checks its addresses and ports. */
    static Seg parseOurs(ByteBuffer p) {
        var ip = Seg.ip(p.duplicate());
        var tcp = Seg.tcp(p.duplicate());
        assertEquals(LOCAL_ADDR, ((dev.nstun.stack.wire.Ipv4Packet) ip).source(), "source address");
        assertEquals(REMOTE_ADDR, ((dev.nstun.stack.wire.Ipv4Packet) ip).destination(), "destination address");
        assertEquals(LOCAL_PORT, tcp.sourcePort(), "source port");
        assertEquals(REMOTE_PORT, tcp.destinationPort(), "destination port");
        return Seg.parse(p);
    }

    /** A connection for {@code syn}, not yet accepted. */
    static TcpConnection fromSyn(TcpConfig cfg, Seg syn) {
        ByteBuffer p = packet(syn);
        return TcpConnection.fromSyn(0, Seg.ip(p), Seg.tcp(p), cfg, LOCAL_SEQ.value());
    }

    /** SYN at 0, accepted at 0, SYN-ACK received at 0. */
    static TcpConnection synReceived() {
        TcpConnection conn = fromSyn(CFG, SYN);
        conn.accept(0);
        recv(conn, 0, SYN_ACK);
        return conn;
    }

    /** {@link #synReceived()} then the command's ACK at 10 ms (RTT 10 ms). */
    static TcpConnection established() {
        TcpConnection conn = synReceived();
        send(conn, 10, SEND_TEMPL);
        assertEquals(TcpState.ESTABLISHED, conn.state(), "state");
        return conn;
    }

    /** {@link #established()}, then the upstream closes: our FIN goes at 20 ms. */
    static TcpConnection finWait1() {
        TcpConnection conn = established();
        conn.shutdownOutput();
        recv(conn, 20, RECV_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.FIN));
        assertEquals(TcpState.FIN_WAIT_1, conn.state(), "state");
        return conn;
    }

    /** {@link #finWait1()}, then the command acknowledges our FIN at 30 ms. */
    static TcpConnection finWait2() {
        TcpConnection conn = finWait1();
        send(conn, 30, SEND_TEMPL.withAck(LOCAL_SEQ.plus(2)));
        assertEquals(TcpState.FIN_WAIT_2, conn.state(), "state");
        return conn;
    }

    /** {@link #finWait2()}, then the command's FIN at 40 ms, which we acknowledge. */
    static TcpConnection timeWait() {
        TcpConnection conn = finWait2();
        send(conn, 40, SEND_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.FIN).withAck(LOCAL_SEQ.plus(2)));
        recv(conn, 40, RECV_TEMPL.withSeq(LOCAL_SEQ.plus(2)).withAck(REMOTE_SEQ.plus(2)).withWindow(65534));
        assertEquals(TcpState.TIME_WAIT, conn.state(), "state");
        return conn;
    }

    /** {@link #finWait1()}, then the command's FIN crossing ours at 30 ms (not acknowledging it). */
    static TcpConnection closing() {
        TcpConnection conn = finWait1();
        send(conn, 30, SEND_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.FIN));
        recv(conn, 30, RECV_TEMPL.withSeq(LOCAL_SEQ.plus(2)).withAck(REMOTE_SEQ.plus(2)).withWindow(65534));
        assertEquals(TcpState.CLOSING, conn.state(), "state");
        return conn;
    }

    /** {@link #established()}, then the command's FIN at 20 ms, which we acknowledge (the FIN takes one from the window). */
    static TcpConnection closeWait() {
        TcpConnection conn = established();
        send(conn, 20, SEND_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.FIN));
        recv(conn, 20, RECV_TEMPL.withAck(REMOTE_SEQ.plus(2)).withWindow(65534));
        assertEquals(TcpState.CLOSE_WAIT, conn.state(), "state");
        return conn;
    }

    /** {@link #closeWait()}, then the upstream closes: our FIN goes at 30 ms. */
    static TcpConnection lastAck() {
        TcpConnection conn = closeWait();
        conn.shutdownOutput();
        recv(conn, 30, RECV_TEMPL.withFlags(TcpSegment.ACK | TcpSegment.FIN).withAck(REMOTE_SEQ.plus(2)).withWindow(65534));
        assertEquals(TcpState.LAST_ACK, conn.state(), "state");
        return conn;
    }

    /** Queues {@code text} on {@code conn}, asserting all of it fits. */
    static void write(TcpConnection conn, String text) {
        write(conn, text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    static void write(TcpConnection conn, byte[] bytes) {
        ByteBuffer src = ByteBuffer.wrap(bytes);
        int n = conn.write(src);
        assertEquals(bytes.length, n, "bytes written");
    }

    /** Reads everything readable as text. */
    static String readAll(TcpConnection conn) {
        ByteBuffer dst = ByteBuffer.allocate(conn.readable());
        conn.read(dst);
        return new String(dst.array(), 0, dst.position(), java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Returns {@code n} bytes of a repeating pattern starting at {@code from}. */
    static byte[] pattern(int from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) ('a' + (from + i) % 26);
        return b;
    }

    /** A sink that keeps a copy of every packet, and claims to be full after {@code capacity} packets. */
    static final class Sink implements SegmentSink {
        final PacketBuilder builder = new PacketBuilder();
        final List<ByteBuffer> packets = new ArrayList<>();
        private final int capacity;
        private ByteBuffer current;

        Sink(int capacity) {
            this.capacity = capacity;
        }

        @Override
        public PacketBuilder builder() {
            return builder;
        }

        @Override
        public ByteBuffer buffer() {
            if (packets.size() >= capacity) return null;
            // An odd offset, so absolute positions are exercised; filled so forgotten bytes show.
            current = ByteBuffer.allocate(70_000);
            java.util.Arrays.fill(current.array(), (byte) 0xa5);
            return current.position(7);
        }

        @Override
        public void emit(int length) {
            ByteBuffer p = ByteBuffer.allocate(length);
            p.put(0, current, current.position(), length);
            packets.add(p);
        }
    }
}
