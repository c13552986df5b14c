package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * What the ICMP sockets deliver, read back: packets written from RFC 792 / RFC 4443 by an
 * independent generator (Python's struct and its own checksum), in the form each socket kind hands
 * them over (raw IPv4: with the IP header; ICMPv6 and ping sockets: the message alone).
 */
class IcmpInboundTest {

    /** 10.200.7.2 > 10.200.7.1: ICMP echo reply, id 48879, seq 3, 16 bytes "0123456789abcdef", as a raw IPv4 socket delivers it (IP header first). */
    static final byte[] RAW_ECHO_REPLY4 = hex("""
            4500 002c 1111 0000 4001 462e 0ac8 0702
            0ac8 0701 0000 11d6 beef 0003 3031 3233
            3435 3637 3839 6162 6364 6566
            """);

    /** 10.200.7.1 > 10.200.7.1: ICMP host 10.200.7.5 unreachable (what the host's own neighbour code sends), quoting IP header + 8 bytes of our echo request id 48879 seq 4. */
    static final byte[] RAW_HOST_UNREACHABLE4 = hex("""
            4500 0038 3333 0000 4001 2401 0ac8 0701
            0ac8 0701 0301 2c36 0000 0000 4500 002c
            2222 4000 4001 f519 0ac8 0701 0ac8 0705
            0800 09d5 beef 0004
            """);

    /** 10.200.7.2 > 10.200.7.1: ICMP udp port 9 unreachable: an error about someone else's UDP, not an echo of ours. */
    static final byte[] RAW_PORT_UNREACHABLE_UDP4 = hex("""
            4500 003b 0000 0000 4001 5730 0ac8 0702
            0ac8 0701 0303 9c45 0000 0000 4500 001f
            0000 4000 4011 173c 0ac8 0701 0ac8 0702
            9c40 0009 000b 0000 6162 63
            """);

    /** fd7e:1::2 > fd7e:1::1: ICMPv6 echo reply, id 48879, seq 5, 16 bytes, as a raw or ping socket delivers it (no IPv6 header). */
    static final byte[] ECHO_REPLY6 = hex("""
            8100 957e beef 0005 3031 3233 3435 3637
            3839 6162 6364 6566
            """);

    /** fd7e:1::1 > fd7e:1::1: ICMPv6 address unreachable quoting our whole echo request to fd7e:1::5, id 48879, seq 6. */
    static final byte[] ADDRESS_UNREACHABLE6 = hex("""
            0103 6972 0000 0000 6000 0000 0018 3a40
            fd7e 0001 0000 0000 0000 0000 0000 0001
            fd7e 0001 0000 0000 0000 0000 0000 0005
            8000 967a beef 0006 3031 3233 3435 3637
            3839 6162 6364 6566
            """);

    /** ICMP echo reply, id 66, seq 1, 16 bytes, as a ping socket delivers it (no IP header). */
    static final byte[] PING_ECHO_REPLY4 = hex("""
            0000 d085 0042 0001 3031 3233 3435 3637
            3839 6162 6364 6566
            """);

    private final IcmpInbound in = new IcmpInbound();

    @Test
    void rawIpv4EchoReply() {
        ByteBuffer b = at(RAW_ECHO_REPLY4, 5);
        assertEquals(IcmpInbound.Kind.ECHO_REPLY, in.parseRaw4(b, 5, RAW_ECHO_REPLY4.length));
        assertEquals(0xbeef, in.identifier, "identifier");
        assertEquals(3, in.sequence, "sequence");
        assertEquals(0x0ac80702, in.source4, "source");
        assertEquals(5 + 28, in.payloadOffset, "payload offset");
        assertEquals(16, in.payloadLength, "payload length");
    }

    @Test
    void rawIpv4EchoReplyWithBadChecksumIsNotOurs() {
        byte[] p = RAW_ECHO_REPLY4.clone();
        p[p.length - 1] ^= 1;
        assertEquals(IcmpInbound.Kind.OTHER, in.parseRaw4(at(p, 0), 0, p.length));
    }

    @Test
    void rawIpv4TrailingBytesBeyondTheTotalLengthAreIgnored() {
        byte[] p = java.util.Arrays.copyOf(RAW_ECHO_REPLY4, RAW_ECHO_REPLY4.length + 3);
        assertEquals(IcmpInbound.Kind.ECHO_REPLY, in.parseRaw4(at(p, 0), 0, p.length));
        assertEquals(16, in.payloadLength, "payload length");
    }

    @Test
    void rawIpv4HostUnreachableQuotingOurRequest() {
        ByteBuffer b = at(RAW_HOST_UNREACHABLE4, 0);
        assertEquals(IcmpInbound.Kind.ERROR, in.parseRaw4(b, 0, RAW_HOST_UNREACHABLE4.length));
        assertEquals(3, in.type, "type");
        assertEquals(1, in.code, "code");
        assertEquals(0xbeef, in.identifier, "quoted identifier");
        assertEquals(4, in.sequence, "quoted sequence");
        assertEquals(0x0ac80705L, in.quotedDestinationLow, "quoted destination");
        assertEquals(0, in.quotedDestinationHigh);
        assertEquals(0x0ac80701, in.source4, "reporter");
    }

    @Test
    void errorAboutSomethingElsesUdpIsNotOurs() {
        assertEquals(IcmpInbound.Kind.OTHER, in.parseRaw4(at(RAW_PORT_UNREACHABLE_UDP4, 0), 0, RAW_PORT_UNREACHABLE_UDP4.length));
    }

    @Test
    void truncatedInputNeverThrows() {
        for (byte[] p : new byte[][] {RAW_ECHO_REPLY4, RAW_HOST_UNREACHABLE4, RAW_PORT_UNREACHABLE_UDP4}) {
            for (int len = 0; len < p.length; len++) {
                in.parseRaw4(at(p, 0), 0, len);
                in.parseMessage4(at(p, 0), 20, Math.max(0, len - 20));
            }
        }
        for (byte[] p : new byte[][] {ECHO_REPLY6, ADDRESS_UNREACHABLE6}) {
            for (int len = 0; len < p.length; len++) in.parseMessage6(at(p, 0), 0, len);
        }
        assertEquals(IcmpInbound.Kind.OTHER, in.parseMessage6(at(ADDRESS_UNREACHABLE6, 0), 0, 8 + 40 + 7));
        assertEquals(IcmpInbound.Kind.OTHER, in.parseRaw4(at(RAW_HOST_UNREACHABLE4, 0), 0, 20 + 8 + 20 + 7));
    }

    @Test
    void pingSocketEchoReply() {
        assertEquals(IcmpInbound.Kind.ECHO_REPLY, in.parseMessage4(at(PING_ECHO_REPLY4, 0), 0, PING_ECHO_REPLY4.length));
        assertEquals(66, in.identifier);
        assertEquals(1, in.sequence);
        assertEquals(16, in.payloadLength);
    }

    @Test
    void ipv6EchoReply() {
        assertEquals(IcmpInbound.Kind.ECHO_REPLY, in.parseMessage6(at(ECHO_REPLY6, 0), 0, ECHO_REPLY6.length));
        assertEquals(0xbeef, in.identifier);
        assertEquals(5, in.sequence);
        assertEquals(8, in.payloadOffset);
        assertEquals(16, in.payloadLength);
    }

    @Test
    void ipv6AddressUnreachableQuotingOurRequest() {
        assertEquals(IcmpInbound.Kind.ERROR, in.parseMessage6(at(ADDRESS_UNREACHABLE6, 0), 0, ADDRESS_UNREACHABLE6.length));
        assertEquals(1, in.type);
        assertEquals(3, in.code);
        assertEquals(0xbeef, in.identifier);
        assertEquals(6, in.sequence);
        assertEquals(0xfd7e000100000000L, in.quotedDestinationHigh);
        assertEquals(5, in.quotedDestinationLow);
    }

    @Test
    void ipv6EchoRequestIsNotAReply() {
        byte[] p = ECHO_REPLY6.clone();
        p[0] = (byte) 128;
        assertEquals(IcmpInbound.Kind.OTHER, in.parseMessage6(at(p, 0), 0, p.length));
    }

    @Test
    void checksumOfWhatWeSendVerifies() {
        ByteBuffer b = at(PING_ECHO_REPLY4, 0);
        assertEquals(0, IcmpInbound.checksum(b, 0, PING_ECHO_REPLY4.length));
        b.putShort(2, (short) 0);
        assertEquals(0xd085, IcmpInbound.checksum(b, 0, PING_ECHO_REPLY4.length));
        byte[] odd = {8, 0, 0, 0, 0, 1, 0, 1, 0x61};
        ByteBuffer o = at(odd, 0);
        o.putShort(2, (short) IcmpInbound.checksum(o, 0, odd.length));
        assertEquals(0, IcmpInbound.checksum(o, 0, odd.length), "odd length");
    }

    /** Returns a direct buffer holding {@code packet} at {@code offset}, its limit right after it, as the reader's buffer. */
    private static ByteBuffer at(byte[] packet, int offset) {
        ByteBuffer b = ByteBuffer.allocateDirect(offset + packet.length);
        b.put(offset, packet);
        return b;
    }

    private static byte[] hex(String digits) {
        return HexFormat.of().parseHex(digits.replaceAll("\\s+", ""));
    }
}
