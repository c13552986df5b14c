package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.wire.Checksum;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.PacketBuilder;
import dev.nstun.stack.wire.TcpFields;
import dev.nstun.stack.wire.TcpSegment;
import dev.nstun.stack.wire.UdpDatagram;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The virtio-net header's checksum fields in the stack's terms; the TUN itself is covered by the ITs. */
class TunLinkTest {
    private static final int CLIENT = 0xc6120001;
    private static final int SERVER = 0xc6120002;
    private static final int AT = 3;

    private static final TcpFields SYN = new TcpFields().sourcePort(40000).destinationPort(80).seq(1).flags(TcpSegment.SYN).window(1000);
    private final PacketBuilder builder = new PacketBuilder();
    private final ByteBuffer buf = ByteBuffer.allocateDirect(256);

    @Test
    void findsTheTcpOrUdpHeaderOfPlainTcpAndUdpOnly() {
        int n = builder.ipv4(CLIENT, SERVER).tcp(buf, AT, SYN);
        assertEquals(20, TunLink.transportHeaderOffset(buf, AT, n));
        assertEquals(16, TunLink.checksumOffset(buf, AT));
        assertEquals(-1, TunLink.transportHeaderOffset(buf, AT, 39), "too short for the TCP header");
        buf.put(AT + 7, (byte) 8); // a fragment offset: the TCP header is not where it seems
        assertEquals(-1, TunLink.transportHeaderOffset(buf, AT, n));

        n = builder.ipv4(CLIENT, SERVER).udp(buf, AT, 40000, 53, 0);
        assertEquals(20, TunLink.transportHeaderOffset(buf, AT, n), "a UDP datagram with no payload: 28 bytes");
        assertEquals(6, TunLink.checksumOffset(buf, AT));

        n = builder.ipv4(CLIENT, SERVER).icmpEcho(buf, AT, true, 1, 1, 8);
        assertEquals(-1, TunLink.transportHeaderOffset(buf, AT, n));

        n = builder.ipv6(0x20010db8L << 32, 1, 0x20010db8L << 32, 2).tcp(buf, AT, SYN);
        assertEquals(40, TunLink.transportHeaderOffset(buf, AT, n));
        assertEquals(16, TunLink.checksumOffset(buf, AT));
        n = builder.ipv6(0x20010db8L << 32, 1, 0x20010db8L << 32, 2).udp(buf, AT, 40000, 53, 4);
        assertEquals(40, TunLink.transportHeaderOffset(buf, AT, n));
        assertEquals(6, TunLink.checksumOffset(buf, AT));
    }

    @Test
    void completesAChecksumTheKernelLeftToUs() {
        for (int i = 0; i < 20; i++) buf.put(AT + builder.udpPayloadOffset() + i, (byte) (i * 37));
        int n = builder.ipv4(CLIENT, SERVER).udp(buf, AT, 40000, 53, 20);
        int whole = Short.toUnsignedInt(buf.getShort(AT + 20 + 6));
        // As the command's kernel hands it over with NEEDS_CSUM: the pseudo-header sum in the field.
        Ipv4Packet ip = new Ipv4Packet().wrap(buf, AT, n);
        buf.putShort(AT + 20 + 6, (short) ip.pseudoHeaderSum(17, n - 20));

        TunLink.complete(buf, AT, n, 20, 6);

        assertEquals(whole, Short.toUnsignedInt(buf.getShort(AT + 20 + 6)));
        assertTrue(Checksum.verifyUdp(ip, new UdpDatagram().wrap(buf, AT + 20, n - 20)));
    }
}
