package dev.nstun.stack.tcp;

import dev.nstun.stack.wire.Checksum;
import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.PacketBuilder;
import dev.nstun.stack.wire.TcpFields;
import dev.nstun.stack.wire.SeqNumber;
import dev.nstun.stack.wire.TcpOptions;
import dev.nstun.stack.wire.TcpSegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A TCP segment as a value, for tests: the templates {@link TcpConnectionTest#SEND_TEMPL} and
 * {@link TcpConnectionTest#RECV_TEMPL} plus withers describe what the command sends and what we
 * expect back. Builds into a real IPv4 packet (so the connection reads it through the same views as
 * in production) and parses what the connection emits.
 *
 * @param tsVal null: no timestamps option; {@link #ANY_TS}: any TSval (expected segments only)
 */
record Seg(int flags, int seq, int ack, int window, byte[] payload, int mss, int windowScale,
           boolean sackPermitted, Integer tsVal, int tsEcr, int[] sack) {

    /** In an expected segment: a timestamps option must be there, with any TSval. */
    static final Integer ANY_TS = Integer.MIN_VALUE + 7;

    Seg withFlags(int f) {
        return new Seg(f, seq, ack, window, payload, mss, windowScale, sackPermitted, tsVal, tsEcr, sack);
    }

    Seg withSeq(SeqNumber s) {
        return new Seg(flags, s.value(), ack, window, payload, mss, windowScale, sackPermitted, tsVal, tsEcr, sack);
    }

    Seg withAck(SeqNumber a) {
        return new Seg(flags, seq, a.value(), window, payload, mss, windowScale, sackPermitted, tsVal, tsEcr, sack);
    }

    Seg withWindow(int w) {
        return new Seg(flags, seq, ack, w, payload, mss, windowScale, sackPermitted, tsVal, tsEcr, sack);
    }

    Seg withPayload(String text) {
        return withPayload(text.getBytes(StandardCharsets.US_ASCII));
    }

    Seg withPayload(byte[] p) {
        return new Seg(flags, seq, ack, window, p, mss, windowScale, sackPermitted, tsVal, tsEcr, sack);
    }

    Seg withMss(int m) {
        return new Seg(flags, seq, ack, window, payload, m, windowScale, sackPermitted, tsVal, tsEcr, sack);
    }

    Seg withWindowScale(int s) {
        return new Seg(flags, seq, ack, window, payload, mss, s, sackPermitted, tsVal, tsEcr, sack);
    }

    Seg withSackPermitted() {
        return new Seg(flags, seq, ack, window, payload, mss, windowScale, true, tsVal, tsEcr, sack);
    }

    Seg withTimestamps(Integer value, int echo) {
        return new Seg(flags, seq, ack, window, payload, mss, windowScale, sackPermitted, value, echo, sack);
    }

    /** Returns this segment with SACK blocks given as left, right, left, right… */
    Seg withSack(SeqNumber... edges) {
        int[] e = new int[edges.length];
        for (int i = 0; i < e.length; i++) e[i] = edges[i].value();
        return new Seg(flags, seq, ack, window, payload, mss, windowScale, sackPermitted, tsVal, tsEcr, e);
    }

    /** Returns the sequence space the segment occupies. */
    int length() {
        return payload.length + ((flags & TcpSegment.SYN) != 0 ? 1 : 0) + ((flags & TcpSegment.FIN) != 0 ? 1 : 0);
    }

    /** Builds the IPv4 packet from {@code source}:{@code sourcePort} to {@code destination}:{@code destinationPort}. */
    ByteBuffer toPacket(int source, int sourcePort, int destination, int destinationPort) {
        PacketBuilder b = new PacketBuilder().ipv4(source, destination);
        ByteBuffer buf = ByteBuffer.allocate(100 + TcpSegment.MAX_HEADER_LENGTH + payload.length);
        int optionsAt = b.tcpOptionsOffset();
        int optionsLength;
        if ((flags & TcpSegment.SYN) != 0) {
            TcpOptions options = new TcpOptions(mss, windowScale, sackPermitted, tsVal != null,
                    tsVal == null ? 0 : tsVal, tsEcr);
            optionsLength = options.emitInto(buf, optionsAt);
        } else {
            optionsLength = 0;
            if (tsVal != null) optionsLength += TcpOptions.emitTimestamps(buf, optionsAt, tsVal, tsEcr);
            if (sack.length > 0) optionsLength += TcpOptions.emitSackBlocks(buf, optionsAt + optionsLength, sack, sack.length / 2);
        }
        buf.put(b.tcpPayloadOffset(optionsLength), payload);
        int n = b.tcp(buf, 0, new TcpFields().sourcePort(sourcePort).destinationPort(destinationPort).seq(seq).ack(ack)
                .flags(flags).window(window).optionsLength(optionsLength).payloadLength(payload.length));
        return buf.limit(n);
    }

    /** Returns the segment a verified packet carries; fails on a bad checksum. */
    static Seg parse(ByteBuffer packet) {
        Ipv4Packet ip = new Ipv4Packet();
        if (ip.wrapChecked(packet, packet.position(), packet.remaining()) != null) throw new AssertionError("bad IPv4 packet");
        TcpSegment tcp = new TcpSegment();
        if (tcp.wrapChecked(packet, ip.payloadOffset(), ip.payloadLength()) != null) throw new AssertionError("bad TCP segment");
        if (!Checksum.verifyIpv4Header(ip) || !Checksum.verifyTcp(ip, tcp)) throw new AssertionError("bad checksum: " + tcp);
        return of(tcp);
    }

    /** Returns the value of a segment view. */
    static Seg of(TcpSegment tcp) {
        byte[] p = new byte[tcp.payloadLength()];
        tcp.buffer().get(tcp.payloadOffset(), p);
        int[] sack = new int[2 * tcp.sackBlockCount()];
        for (int i = 0; i < sack.length / 2; i++) {
            sack[2 * i] = tcp.sackLeft(i);
            sack[2 * i + 1] = tcp.sackRight(i);
        }
        return new Seg(tcp.flags(), tcp.seqNumber(), tcp.ackNumber(), tcp.window(), p, tcp.mss(), tcp.windowScale(),
                tcp.sackPermitted(), tcp.hasTimestamps() ? tcp.timestampValue() : null, tcp.timestampEcho(), sack);
    }

    /** Returns the differences from {@code want} as "field: got X, want Y" lines; empty when it matches. */
    List<String> differencesFrom(Seg want) {
        List<String> d = new ArrayList<>();
        diff(d, "flags", flagNames(flags), flagNames(want.flags));
        diff(d, "seq", Integer.toUnsignedString(seq), Integer.toUnsignedString(want.seq));
        if ((want.flags & TcpSegment.ACK) != 0 || (flags & TcpSegment.ACK) != 0) {
            diff(d, "ack", Integer.toUnsignedString(ack), Integer.toUnsignedString(want.ack));
        }
        diff(d, "window", window, want.window);
        diff(d, "payload", text(payload), text(want.payload));
        diff(d, "mss", mss, want.mss);
        diff(d, "window scale", windowScale, want.windowScale);
        diff(d, "SACK permitted", sackPermitted, want.sackPermitted);
        diff(d, "timestamps", tsVal != null, want.tsVal != null);
        if (tsVal != null && want.tsVal != null) {
            if (!ANY_TS.equals(want.tsVal)) diff(d, "TSval", Integer.toUnsignedString(tsVal), Integer.toUnsignedString(want.tsVal));
            diff(d, "TSecr", Integer.toUnsignedString(tsEcr), Integer.toUnsignedString(want.tsEcr));
        }
        diff(d, "SACK blocks", edges(sack), edges(want.sack));
        return d;
    }

    private static void diff(List<String> d, String field, Object got, Object want) {
        if (!Objects.equals(got, want)) d.add(field + ": got " + got + ", want " + want);
    }

    private static String flagNames(int f) {
        StringBuilder s = new StringBuilder();
        String[] names = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
        for (int i = 0; i < 8; i++) if ((f & 1 << i) != 0) s.append(s.isEmpty() ? "" : "|").append(names[i]);
        return s.toString();
    }

    private static String text(byte[] p) {
        return p.length <= 64 ? "\"" + new String(p, StandardCharsets.ISO_8859_1) + "\"" : p.length + " bytes #" + Arrays.hashCode(p);
    }

    private static String edges(int[] e) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i + 1 < e.length; i += 2) {
            s.append(i == 0 ? "" : " ").append(Integer.toUnsignedString(e[i])).append('-').append(Integer.toUnsignedString(e[i + 1]));
        }
        return s.append(']').toString();
    }

    @Override
    public String toString() {
        return "[" + flagNames(flags) + "] seq " + Integer.toUnsignedString(seq) + " ack " + Integer.toUnsignedString(ack)
                + " win " + window + " len " + payload.length + (tsVal != null ? " ts " + tsVal + "/" + tsEcr : "")
                + (sack.length > 0 ? " sack " + edges(sack) : "");
    }

    /** Returns the IP packet view of {@code packet} (for {@link TcpConnection#fromSyn}). */
    static IpPacket ip(ByteBuffer packet) {
        Ipv4Packet ip = new Ipv4Packet();
        if (ip.wrapChecked(packet, packet.position(), packet.remaining()) != null) throw new AssertionError("bad IPv4 packet");
        return ip;
    }

    /** Returns the TCP view of {@code packet}. */
    static TcpSegment tcp(ByteBuffer packet) {
        IpPacket ip = ip(packet);
        TcpSegment tcp = new TcpSegment();
        if (tcp.wrapChecked(packet, ip.payloadOffset(), ip.payloadLength()) != null) throw new AssertionError("bad TCP segment");
        return tcp;
    }
}
