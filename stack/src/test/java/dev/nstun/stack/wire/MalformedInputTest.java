package dev.nstun.stack.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Feeds random and mutated packets through the checked views the way the stack will, calling every
 * accessor of whatever is accepted. Each packet sits at the end of its buffer, limit right after it,
 * so a read past an accepted view throws instead of passing unnoticed. Seeded: a failure repeats.
 */
class MalformedInputTest {

    private static final byte[][] SEEDS = {
        CapturedPackets.TCP4_SYN, CapturedPackets.TCP4_SYN_ACK, CapturedPackets.TCP4_DATA, CapturedPackets.TCP6_SYN,
        CapturedPackets.TCP6_DATA, CapturedPackets.UDP4, CapturedPackets.UDP6, CapturedPackets.ICMP4_PORT_UNREACHABLE,
        CapturedPackets.ICMP6_PORT_UNREACHABLE, CapturedPackets.ICMP4_ECHO_REQUEST, CapturedPackets.ICMP6_ECHO_REQUEST,
        CapturedPackets.UDP6_HOP_BY_HOP_DESTINATION_OPTIONS, CapturedPackets.MLD2_REPORT_HOP_BY_HOP,
        CapturedPackets.ICMP4_FRAGMENT_FIRST, CapturedPackets.ICMP4_FRAGMENT_LAST, CapturedPackets.ICMP6_FRAGMENT_FIRST,
        CapturedPackets.ICMP6_FRAGMENT_LAST,
    };

    private final Ipv4Packet ip4 = new Ipv4Packet();
    private final Ipv6Packet ip6 = new Ipv6Packet();
    private final TcpSegment tcp = new TcpSegment();
    private final UdpDatagram udp = new UdpDatagram();
    private final IcmpV4Message icmp4 = new IcmpV4Message();
    private final IcmpV6Message icmp6 = new IcmpV6Message();
    private final FragmentReassembler reassembler = new FragmentReassembler(8, 64 * 1024, 1000);
    private final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
    private int accepted;
    private long sink;

    @Test
    void checkedViewsNeverThrow() {
        Random random = new Random(20240604);
        for (int round = 0; round < 30_000; round++) {
            byte[] packet = mutate(random, SEEDS[random.nextInt(SEEDS.length)]);
            int at = random.nextInt(8);
            ByteBuffer buf = random.nextBoolean() ? ByteBuffer.allocate(at + packet.length) : ByteBuffer.allocateDirect(at + packet.length);
            buf.put(at, packet);
            parse(round, buf, at, packet.length);
        }
        reassembler.expire(Long.MAX_VALUE);
        assertTrue(accepted > 3_000, "too few packets got through to the upper layers: " + accepted);
        assertTrue(drops.size() >= 10, "too few kinds of drop exercised: " + drops);
        assertEquals(0, reassembler.bytesHeld());
    }

    private void parse(long now, ByteBuffer buf, int off, int len) {
        int version = len > 0 ? (buf.get(off) & 0xff) >>> 4 : 0;
        IpPacket ip;
        DropReason reason;
        if (version == 6) {
            reason = ip6.wrapChecked(buf, off, len);
            ip = ip6;
        } else {
            reason = ip4.wrapChecked(buf, off, len);
            ip = ip4;
        }
        if (reason != null) {
            drops.merge(reason, 1, Integer::sum);
            return;
        }
        touch(ip);
        if (ip.isFragment()) {
            reason = ip instanceof Ipv4Packet v4 ? reassembler.offer(now, v4) : reassembler.offer(now, ip6);
            if (reason != null) drops.merge(reason, 1, Integer::sum);
            if (reassembler.completed() == null) return;
            ip = reassembler.completed();
            touch(ip);
        }
        int at = ip.payloadOffset();
        int length = ip.payloadLength();
        reason = switch (ip.protocol()) {
            case IpProtocol.TCP -> {
                DropReason r = tcp.wrapChecked(ip.buffer(), at, length);
                if (r == null) touch(ip, tcp);
                yield r;
            }
            case IpProtocol.UDP -> {
                DropReason r = udp.wrapChecked(ip.buffer(), at, length);
                if (r == null) sink += udp.sourcePort() + udp.destinationPort() + udp.lengthField() + udp.payloadLength()
                        + (Checksum.verifyUdp(ip, udp) ? 1 : 0);
                yield r;
            }
            case IpProtocol.ICMP, IpProtocol.ICMPV6 -> {
                if (ip.protocol() == IpProtocol.ICMP ? ip.version() != 4 : ip.version() != 6) yield DropReason.UNSUPPORTED_PROTOCOL;
                IcmpMessage icmp = ip.version() == 4 ? icmp4 : icmp6;
                DropReason r = icmp.wrapChecked(ip.buffer(), at, length);
                if (r == null) {
                    sink += icmp.type() + icmp.code() + icmp.checksum() + icmp.restOfHeader() + icmp.identifier()
                            + icmp.sequence() + icmp.payloadLength() + (icmp.isError() ? 1 : 0);
                    sink += ip instanceof Ipv6Packet v6 ? (Checksum.verifyIcmpV6(v6, icmp6) ? 1 : 0) + icmp6.mtu() + icmp6.pointer()
                            : (Checksum.verifyIcmpV4(icmp4) ? 1 : 0) + icmp4.nextHopMtu() + icmp4.pointer();
                    if (icmp.isError()) parseQuoted(icmp);
                }
                yield r;
            }
            default -> DropReason.UNSUPPORTED_PROTOCOL;
        };
        if (reason == null) {
            accepted++;
        } else {
            drops.merge(reason, 1, Integer::sum);
        }
    }

    /** Parses the packet an ICMP error quotes, with views of its own, as the stack will to find the flow. */
    private void parseQuoted(IcmpMessage icmp) {
        Ipv4Packet q4 = new Ipv4Packet();
        Ipv6Packet q6 = new Ipv6Packet();
        IpPacket q = icmp instanceof IcmpV4Message ? q4 : q6;
        DropReason r = q == q4 ? q4.wrapChecked(icmp.buffer(), icmp.payloadOffset(), icmp.payloadLength())
                : q6.wrapChecked(icmp.buffer(), icmp.payloadOffset(), icmp.payloadLength());
        if (r == null) touch(q);
    }

    private void touch(IpPacket ip) {
        sink += ip.version() + ip.length() + ip.protocol() + ip.payloadOffset() + ip.payloadLength() + ip.hopLimit()
                + (ip.isFragment() ? 1 : 0) + ip.pseudoHeaderSum(ip.protocol(), ip.payloadLength());
        if (ip instanceof Ipv4Packet v4) {
            sink += v4.headerLength() + v4.dscp() + v4.ecn() + v4.totalLength() + v4.identification() + v4.fragmentOffset()
                    + v4.headerChecksum() + v4.source() + v4.destination() + (Checksum.verifyIpv4Header(v4) ? 1 : 0)
                    + (v4.dontFragment() ? 1 : 0) + (v4.moreFragments() ? 1 : 0);
        } else if (ip instanceof Ipv6Packet v6) {
            sink += v6.trafficClass() + v6.flowLabel() + v6.payloadLengthField() + v6.nextHeader() + v6.sourceHigh()
                    + v6.sourceLow() + v6.destinationHigh() + v6.destinationLow() + v6.extensionHeadersLength()
                    + v6.fragmentOffset() + v6.fragmentIdentification() + (v6.moreFragments() ? 1 : 0);
        }
    }

    private void touch(IpPacket ip, TcpSegment t) {
        sink += t.sourcePort() + t.destinationPort() + t.seqNumber() + t.ackNumber() + t.headerLength() + t.reservedBits()
                + t.flags() + t.window() + t.checksum() + t.urgentPointer() + t.optionsOffset() + t.optionsLength()
                + t.payloadOffset() + t.payloadLength() + t.segmentLength() + t.mss() + t.windowScale()
                + (t.sackPermitted() ? 1 : 0) + (t.hasTimestamps() ? 1 : 0) + t.timestampValue() + t.timestampEcho()
                + (Checksum.verifyTcp(ip, t) ? 1 : 0);
        for (int i = 0; i <= t.sackBlockCount(); i++) sink += t.sackLeft(i) + t.sackRight(i);
        sink += TcpOptions.parse(t).length();
    }

    /** Returns a random variation of {@code seed}: bytes flipped, cut short, grown, length fields bent, or pure noise. */
    private static byte[] mutate(Random random, byte[] seed) {
        byte[] p = seed.clone();
        switch (random.nextInt(6)) {
            case 0 -> {
                for (int i = random.nextInt(4) + 1; i > 0; i--) p[random.nextInt(p.length)] = (byte) random.nextInt(256);
            }
            case 1 -> p = Arrays.copyOf(p, random.nextInt(p.length + 1));
            case 2 -> p = Arrays.copyOf(p, p.length + random.nextInt(16));
            case 3 -> {
                // Bend a byte in the first 64, where the length fields and options live.
                int i = random.nextInt(Math.min(64, p.length));
                p[i] = (byte) (random.nextBoolean() ? p[i] + random.nextInt(5) - 2 : random.nextInt(256));
            }
            case 4 -> {
                p = new byte[random.nextInt(120)];
                random.nextBytes(p);
            }
            default -> {
                // Left intact: the checked path must accept the real thing too.
            }
        }
        return p;
    }
}
