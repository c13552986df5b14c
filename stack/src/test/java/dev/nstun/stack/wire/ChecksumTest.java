package dev.nstun.stack.wire;

import static dev.nstun.stack.wire.CapturedPackets.TCP4_DATA;
import static dev.nstun.stack.wire.CapturedPackets.TCP4_SYN;
import static dev.nstun.stack.wire.CapturedPackets.TCP6_SYN;
import static dev.nstun.stack.wire.CapturedPackets.V4_CLIENT;
import static dev.nstun.stack.wire.CapturedPackets.V4_SERVER;
import static dev.nstun.stack.wire.CapturedPackets.V6_CLIENT_LOW;
import static dev.nstun.stack.wire.CapturedPackets.V6_PREFIX;
import static dev.nstun.stack.wire.CapturedPackets.V6_SERVER_LOW;
import static dev.nstun.stack.wire.CapturedPackets.hex;
import static dev.nstun.stack.wire.CapturedPackets.wrap;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChecksumTest {

    @Test
    void sumsRfc1071Example() {
        // RFC 1071 §3: the sum of 0001 f203 f4f5 f6f7 is ddf2, its checksum 220d.
        ByteBuffer buf = wrap(hex("0001 f203 f4f5 f6f7"));
        assertEquals(0xddf2, Checksum.sum(buf, 0, 8));
        assertEquals(0x220d, Checksum.finish(Checksum.sum(buf, 0, 8)));
    }

    @Test
    void sumsOddLengthAsIfPaddedWithZero() {
        assertEquals(0x0100 + 0x0203 + 0x0400, Checksum.sum(wrap(hex("0100 0203 04")), 0, 5));
        assertEquals(0xab00, Checksum.sum(wrap(hex("ab")), 0, 1));
        assertEquals(0, Checksum.sum(wrap(new byte[0]), 0, 0));
    }

    @Test
    void computesCapturedIpv4HeaderChecksum() {
        Ipv4Packet ip = Ipv4Packet.unchecked(ByteBuffer.wrap(TCP4_SYN.clone()), 0, TCP4_SYN.length);
        Checksum.fillIpv4Header(ip);
        assertEquals(0xbd32, ip.headerChecksum());
    }

    @Test
    void computesCapturedTcpChecksums() {
        for (byte[] p : new byte[][] {TCP4_SYN, TCP4_DATA}) {
            Ipv4Packet ip = Ipv4Packet.unchecked(ByteBuffer.wrap(p.clone()), 0, p.length);
            TcpSegment tcp = TcpSegment.unchecked(ip.buffer(), 20, p.length - 20);
            int want = tcp.checksum();
            Checksum.fillTcp(ip, tcp);
            assertEquals(want, tcp.checksum());
        }
        Ipv6Packet ip = Ipv6Packet.unchecked(ByteBuffer.wrap(TCP6_SYN.clone()), 0, TCP6_SYN.length);
        TcpSegment tcp = TcpSegment.unchecked(ip.buffer(), 40, 40);
        Checksum.fillTcp(ip, tcp);
        assertEquals(0x2a22, tcp.checksum());
    }

    @Test
    void pseudoHeadersSumTheirFieldsAsBytes() {
        ByteBuffer v4 = wrap(hex("c612 0001 c612 0002 0006 0028"));
        assertEquals(Checksum.sum(v4, 0, 12), Checksum.pseudoHeaderV4(V4_CLIENT, V4_SERVER, IpProtocol.TCP, 40));
        ByteBuffer v6 = wrap(hex("fd00 6e73 0000 0000 0000 0000 0000 0001 fd00 6e73 0000 0000 0000 0000 0000 0002"
                + "0000 0028 0000 0006"));
        assertEquals(Checksum.sum(v6, 0, 40),
                Checksum.pseudoHeaderV6(V6_PREFIX, V6_CLIENT_LOW, V6_PREFIX, V6_SERVER_LOW, IpProtocol.TCP, 40));
        assertEquals(Checksum.fold(0xffffL * 9 + 0x11 + 0x1_0000L),
                Checksum.pseudoHeaderV6(-1, -1, -1, -1, IpProtocol.UDP, 0x1_0000) , "all-ones addresses and a jumbo length");
    }

    @Test
    void matchesTheWordAtATimeDefinitionForEveryLengthOffsetAndBuffer() {
        Random random = new Random(1071);
        byte[] data = new byte[1100];
        random.nextBytes(data);
        for (ByteBuffer buf : new ByteBuffer[] {
                ByteBuffer.wrap(data), ByteBuffer.allocateDirect(data.length).put(0, data),
                ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN)}) {
            for (int off = 0; off < 17; off++) {
                for (int len = 0; off + len <= data.length; len += len < 80 ? 1 : 37) {
                    int initial = random.nextInt(0x10000);
                    assertEquals(reference(data, off, len, initial), Checksum.sum(buf, off, len, initial),
                            "offset " + off + " length " + len);
                }
            }
        }
    }

    @Test
    void sumsTheLargestTunPacket() {
        byte[] data = new byte[65520];
        for (int i = 0; i < data.length; i++) data[i] = (byte) 0xff;
        assertEquals(reference(data, 0, data.length, 0), Checksum.sum(ByteBuffer.wrap(data), 0, data.length));
        new Random(65520).nextBytes(data);
        assertEquals(reference(data, 0, data.length, 0), Checksum.sum(ByteBuffer.allocateDirect(data.length).put(0, data), 0, data.length));
    }

    @Test
    void updatesRfc1624Example() {
        // RFC 1624 §4: HC 0xdd2f, a field going from 0x5555 to 0x3285, gives 0x0000 (eqn. 3), not 0xffff.
        assertEquals(0x0000, Checksum.update16(0xdd2f, 0x5555, 0x3285));
    }

    @Test
    void incrementalUpdateMatchesRecomputation() {
        Random random = new Random(1624);
        ByteBuffer buf = ByteBuffer.wrap(TCP4_DATA.clone());
        Ipv4Packet ip = Ipv4Packet.unchecked(buf, 0, TCP4_DATA.length);
        TcpSegment tcp = TcpSegment.unchecked(buf, 20, TCP4_DATA.length - 20);
        for (int i = 0; i < 2000; i++) {
            int oldPort = tcp.destinationPort();
            int newPort = random.nextInt(0x10000);
            int oldSeq = tcp.seqNumber();
            int newSeq = i % 100 == 0 ? 0 : random.nextInt();
            int oldSource = ip.source();
            int newSource = random.nextInt();
            int checksum = Checksum.update16(tcp.checksum(), oldPort, newPort);
            checksum = Checksum.update32(checksum, oldSeq, newSeq);
            checksum = Checksum.update32(checksum, oldSource, newSource);
            tcp.setDestinationPort(newPort);
            tcp.setSeqNumber(newSeq);
            ip.setSource(newSource);
            tcp.setChecksum(checksum);
            assertEquals(true, Checksum.verifyTcp(ip, tcp), "round " + i);
            Checksum.fillTcp(ip, tcp);
            assertEquals(checksum, tcp.checksum(), "round " + i);
        }
    }

    /** RFC 1071 as written: add 16-bit big-endian words, the last odd byte padded, folding carries. */
    private static int reference(byte[] data, int off, int len, int initial) {
        long sum = initial;
        for (int i = 0; i < len; i += 2) {
            int hi = data[off + i] & 0xff;
            int lo = i + 1 < len ? data[off + i + 1] & 0xff : 0;
            sum += hi << 8 | lo;
        }
        while (sum >>> 16 != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) sum;
    }
}
