package dev.nstun.stack.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nstun.stack.wire.DropReason;
import dev.nstun.stack.wire.FragmentReassembler;
import dev.nstun.stack.wire.IcmpMessage;
import dev.nstun.stack.wire.IcmpV4Message;
import dev.nstun.stack.wire.IcmpV6Message;
import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.IpProtocol;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;
import dev.nstun.stack.wire.TcpOptions;
import dev.nstun.stack.wire.TcpSegment;
import dev.nstun.stack.wire.UdpDatagram;
import java.nio.ByteBuffer;

/**
 * The wire views' contract, against any bytes: {@code wrapChecked} never throws (it returns a
 * {@link DropReason} for what it refuses), and once it accepts, no accessor throws. The same holds
 * for the {@link FragmentReassembler} fed any sequence of fragments, at any times.
 *
 * <p>Without {@code JAZZER_FUZZ=1} each target runs only its committed inputs (under
 * {@code WireFuzzTestInputs/} in the test resources) as part of the unit tests; {@code bench/fuzz}
 * fuzzes them.
 */
class WireFuzzTest {

    /** One IP packet as the TUN would deliver it, down through the upper layer and its options. */
    @FuzzTest
    void ipPacket(byte[] data) {
        // An offset inside a larger buffer catches views that read from 0 instead of their offset.
        ByteBuffer buf = ByteBuffer.allocate(data.length + 3);
        buf.position(3);
        buf.put(data);
        IpPacket ip = checkedIp(buf, 3, data.length);
        if (ip != null) readUpperLayer(ip);
    }

    /**
     * A sequence of packets offered to one reassembler: each input is frames of a 16-bit time step
     * in milliseconds, a 16-bit length and that many bytes of IP packet.
     */
    @FuzzTest
    void fragments(byte[] data) {
        FragmentReassembler reassembler = new FragmentReassembler(4, 16_384, 1_000);
        ByteBuffer in = ByteBuffer.wrap(data);
        long now = 0;
        while (in.remaining() >= 4) {
            now += in.getShort() & 0xffff;
            int length = Math.min(in.getShort() & 0xffff, in.remaining());
            ByteBuffer packet = ByteBuffer.allocate(length);
            packet.put(0, data, in.position(), length);
            in.position(in.position() + length);
            reassembler.expire(now);
            IpPacket ip = checkedIp(packet, 0, length);
            DropReason dropped = DropReason.TRUNCATED;
            if (ip instanceof Ipv4Packet v4 && v4.isFragment()) {
                dropped = reassembler.offer(now, v4);
            } else if (ip instanceof Ipv6Packet v6 && v6.isFragment()) {
                dropped = reassembler.offer(now, v6);
            }
            if (dropped == null && reassembler.completed() != null) readUpperLayer(reassembler.completed());
            if (reassembler.datagramsHeld() > 4) throw new IllegalStateException("held " + reassembler.datagramsHeld() + " datagrams, limit 4");
            if (reassembler.pollAt() < now) throw new IllegalStateException("pollAt " + reassembler.pollAt() + " is before now " + now);
        }
    }

    /** Returns the checked view of the packet, or null when refused; reads every IP field of an accepted one. */
    private static IpPacket checkedIp(ByteBuffer buf, int off, int len) {
        if (len > 0 && (buf.get(off) & 0xff) >>> 4 == 6) {
            Ipv6Packet v6 = new Ipv6Packet();
            if (v6.wrapChecked(buf, off, len) != null) return null;
            long sink = v6.trafficClass() + v6.flowLabel() + v6.payloadLengthField() + v6.nextHeader() + v6.hopLimit()
                    + v6.extensionHeadersLength() + v6.pseudoHeaderSum(v6.protocol(), v6.payloadLength());
            if (v6.isFragment()) sink += v6.fragmentOffset() + v6.fragmentIdentification() + (v6.moreFragments() ? 1 : 0);
            consume(sink, v6.sourceAddress(), v6.destinationAddress(), v6.toString());
            return v6;
        }
        Ipv4Packet v4 = new Ipv4Packet();
        if (v4.wrapChecked(buf, off, len) != null) return null;
        long sink = v4.dscp() + v4.ecn() + v4.identification() + v4.fragmentOffset() + v4.hopLimit() + v4.headerChecksum()
                + (v4.dontFragment() ? 1 : 0) + (v4.moreFragments() ? 1 : 0) + v4.pseudoHeaderSum(v4.protocol(), v4.payloadLength());
        consume(sink, v4.sourceAddress(), v4.destinationAddress(), v4.toString());
        return v4;
    }

    /** Wraps the upper layer the packet names with its checked view and reads every field. */
    private static void readUpperLayer(IpPacket ip) {
        ByteBuffer buf = ip.buffer();
        int off = ip.payloadOffset();
        int len = ip.payloadLength();
        boolean v6 = ip instanceof Ipv6Packet;
        switch (ip.protocol()) {
            case IpProtocol.TCP -> {
                TcpSegment tcp = new TcpSegment();
                if (tcp.wrapChecked(buf, off, len) != null) return;
                long sink = tcp.sourcePort() + tcp.destinationPort() + tcp.seqNumber() + tcp.ackNumber() + tcp.flags()
                        + tcp.reservedBits() + tcp.window() + tcp.checksum() + tcp.urgentPointer() + tcp.optionsLength()
                        + tcp.payloadLength() + tcp.segmentLength() + tcp.timestampValue() + tcp.timestampEcho();
                for (int i = 0; i < tcp.sackBlockCount(); i++) sink += tcp.sackLeft(i) + tcp.sackRight(i);
                TcpOptions options = TcpOptions.parse(tcp);
                // What the stack does with a SYN's options: emit them into a SYN-ACK.
                options.emitInto(ByteBuffer.allocate(options.length()), 0);
                consume(sink, options, tcp.toString());
            }
            case IpProtocol.UDP -> {
                UdpDatagram udp = new UdpDatagram();
                if (udp.wrapChecked(buf, off, len) != null) return;
                consume(udp.sourcePort() + udp.destinationPort() + udp.checksum() + udp.payloadLength(), udp.toString());
            }
            case IpProtocol.ICMP, IpProtocol.ICMPV6 -> {
                IcmpMessage icmp = v6 ? new IcmpV6Message() : new IcmpV4Message();
                if (icmp.wrapChecked(buf, off, len) != null) return;
                long sink = icmp.type() + icmp.code() + icmp.checksum() + icmp.restOfHeader() + icmp.identifier()
                        + icmp.sequence() + icmp.payloadLength() + (icmp.isError() ? 1 : 0) + (icmp.isEchoRequest() ? 1 : 0)
                        + (icmp.isEchoReply() ? 1 : 0);
                consume(sink, icmp.toString());
                // An error quotes the packet that caused it: the stack reads that one as an IP packet too.
                if (icmp.isError() && icmp.payloadLength() > 0) {
                    IpPacket quoted = checkedIp(buf, icmp.payloadOffset(), icmp.payloadLength());
                    if (quoted != null) consume(quoted.protocol());
                }
            }
            default -> consume(len);
        }
    }

    /** Takes what was read: the values do not matter, only that reading them threw nothing. */
    private static void consume(Object... values) {
        if (values.length == Integer.MIN_VALUE) throw new AssertionError(values);
    }
}
