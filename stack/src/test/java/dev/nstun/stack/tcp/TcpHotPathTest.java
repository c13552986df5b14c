package dev.nstun.stack.tcp;

import static dev.nstun.stack.tcp.TcpTestSupport.CFG;
import static dev.nstun.stack.tcp.TcpTestSupport.LOCAL_SEQ;
import static dev.nstun.stack.tcp.TcpTestSupport.MS;
import static dev.nstun.stack.tcp.TcpTestSupport.REMOTE_SEQ;
import static dev.nstun.stack.tcp.TcpTestSupport.SEND_TEMPL;
import static dev.nstun.stack.tcp.TcpTestSupport.SYN;
import static dev.nstun.stack.tcp.TcpTestSupport.established;
import static dev.nstun.stack.tcp.TcpTestSupport.packet;
import static dev.nstun.stack.tcp.TcpTestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.wire.Checksum;
import dev.nstun.stack.wire.IpProtocol;
import dev.nstun.stack.wire.Ipv6Packet;
import dev.nstun.stack.wire.PacketBuilder;
import dev.nstun.stack.wire.TcpFields;
import dev.nstun.stack.wire.TcpOptions;
import dev.nstun.stack.wire.TcpSegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The per-segment path allocates nothing, and IPv6 takes the same path. */
class TcpHotPathTest {

    /** A sink that reuses one direct buffer, as the loop's would. */
    static final class ReusingSink implements SegmentSink {
        final PacketBuilder builder = new PacketBuilder();
        final ByteBuffer buf = ByteBuffer.allocateDirect(70_000);
        long packets;

        @Override
        public PacketBuilder builder() {
            return builder;
        }

        @Override
        public ByteBuffer buffer() {
            return buf.clear();
        }

        @Override
        public void emit(int length) {
            packets++;
        }
    }

    @Test
    void steadyTransferBothWaysAllocatesNothingPerSegment() {
        TcpConnection conn = established();
        int rounds = 4000;
        int chunk = 1000;
        // Round i: the command sends 1000 bytes and acknowledges our previous 1000; we read, write 1000 and dispatch.
        TcpSegment[] incoming = new TcpSegment[rounds];
        for (int i = 0; i < rounds; i++) {
            Seg s = SEND_TEMPL.withSeq(REMOTE_SEQ.plus(1 + chunk * i)).withAck(LOCAL_SEQ.plus(1 + chunk * i))
                    .withPayload(pattern(i, chunk));
            incoming[i] = Seg.tcp(packet(s));
        }
        ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
        ByteBuffer writeBuffer = ByteBuffer.allocateDirect(chunk);
        ReusingSink sink = new ReusingSink();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = 0;
        for (int i = 0; i < rounds; i++) {
            if (i == rounds / 2) before = threads.getCurrentThreadAllocatedBytes();
            long now = (20 + i) * MS;
            conn.process(now, incoming[i]);
            conn.read(readBuffer.clear());
            conn.write(writeBuffer.clear());
            conn.dispatch(now, sink);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(TcpState.ESTABLISHED, conn.state(), "state");
        assertEquals(rounds, sink.packets, "packets: one data segment per round, carrying the ACK");
        assertTrue(allocated < 1024, "allocated " + allocated + " bytes over " + rounds / 2 + " rounds, want none");
    }

    @Test
    void ipv6ConnectionAnswersFromTheDialledAddressWithItsMss() {
        long prefix = 0xfd00_0000_0000_0000L;
        PacketBuilder b = new PacketBuilder().ipv6(prefix, 2, prefix, 0x1234);
        ByteBuffer syn = ByteBuffer.allocate(200);
        int n = b.tcp(syn, 0, new TcpFields().sourcePort(40000).destinationPort(443).seq(SYN.seq()).flags(TcpSegment.SYN).window(65535),
                new TcpOptions(1440, -1, false, false, 0, 0));
        syn.limit(n);
        Ipv6Packet ip = new Ipv6Packet();
        assertEquals(null, ip.wrapChecked(syn, 0, n), "SYN parses");
        TcpSegment tcp = new TcpSegment();
        tcp.wrapChecked(syn, ip.payloadOffset(), ip.payloadLength());
        TcpConnection conn = TcpConnection.fromSyn(0, ip, tcp, CFG, LOCAL_SEQ.value());
        conn.accept(0);
        TcpTestSupport.Sink sink = new TcpTestSupport.Sink(10);
        assertEquals(1, conn.dispatch(0, sink), "segments");
        ByteBuffer p = sink.packets.get(0);
        Ipv6Packet out = new Ipv6Packet();
        assertEquals(null, out.wrapChecked(p, 0, p.limit()), "SYN-ACK parses");
        assertEquals(IpProtocol.TCP, out.protocol(), "protocol");
        assertEquals(0x1234, out.sourceLow(), "source: the address the command dialled");
        assertEquals(2, out.destinationLow(), "destination: the command");
        TcpSegment synAck = new TcpSegment();
        synAck.wrapChecked(p, out.payloadOffset(), out.payloadLength());
        assertTrue(Checksum.verifyTcp(out, synAck), "checksum");
        assertEquals(443, synAck.sourcePort(), "source port");
        assertEquals(1500 - 40 - 20, synAck.mss(), "MSS: MTU less the IPv6 and TCP headers");
    }
}
