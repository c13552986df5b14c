package dev.nstun.policies.outbound;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.config.Credentials;
import dev.nstun.policies.config.IpLiteral;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The SOCKS5 bytes: open code sets, what the client writes, and what it reads. */
class Socks5WireTest {
    /** CONNECT to example.com:443 by name (RFC 1928 §4). */
    static final byte[] CONNECT_BY_NAME = FakeProxy.hex("05 01 00 03 0b 6578616d706c652e636f6d 01bb");
    /** A UDP datagram from 192.0.2.7:53 carrying "pong" (RFC 1928 §7). */
    static final byte[] UDP_FROM_IPV4 = FakeProxy.hex("0000 00 01 c0000207 0035 706f6e67");

    @Test
    void valueOfNeverThrowsAndKeepsUnknownCodes() {
        for (int b = 0; b < 256; b++) {
            Socks5Reply reply = Socks5Reply.valueOf((byte) b);
            assertEquals(b, reply.intValue());
            assertEquals(b <= 8, reply.isKnown(), "known: " + reply);
            assertEquals(b, Socks5AuthMethod.valueOf((byte) b).intValue());
            assertEquals(b, Socks5CommandType.valueOf((byte) b).intValue());
            assertEquals(b, Socks5AddressType.valueOf((byte) b).intValue());
        }
        assertSame(Socks5Reply.CONNECTION_REFUSED, Socks5Reply.valueOf((byte) 5));
        assertEquals("CONNECTION_REFUSED(5)", Socks5Reply.CONNECTION_REFUSED.toString());
        assertEquals("UNKNOWN(66)", Socks5Reply.valueOf((byte) 0x42).toString());
        assertEquals(Socks5Reply.valueOf((byte) 0x42), Socks5Reply.valueOf((byte) 0x42));
        assertNotSame(Socks5Reply.valueOf((byte) 0x42), Socks5Reply.valueOf((byte) 0x42));
        assertFalse(Socks5AuthMethod.NO_AUTH.equals(Socks5Reply.SUCCEEDED), "codes of different fields differ");
        assertSame(Socks5AuthMethod.UNACCEPTED, Socks5AuthMethod.valueOf((byte) 0xff));
        assertTrue(Socks5Reply.SUCCEEDED.isSuccess());
        assertFalse(Socks5Reply.valueOf((byte) 0x42).isSuccess());
    }

    @Test
    void constructsTheClientMessages() {
        assertArrayEquals(FakeProxy.hex("05 01 00"), Socks5Codec.greeting(false));
        assertArrayEquals(FakeProxy.hex("05 02 00 02"), Socks5Codec.greeting(true));
        assertArrayEquals(FakeProxy.hex("01 05 616c696365 06 736563726574"),
                Socks5Codec.passwordRequest(new Credentials("alice", "secret")));
        assertArrayEquals(CONNECT_BY_NAME, Socks5Codec.request(Socks5CommandType.CONNECT, Destination.of("example.com", 443)));
        assertArrayEquals(FakeProxy.hex("05 03 00 01 7f000001 3039"),
                Socks5Codec.request(Socks5CommandType.UDP_ASSOCIATE, Destination.of("127.0.0.1", 12345)));
        assertThrows(IllegalArgumentException.class, () -> Socks5Codec.passwordRequest(new Credentials("a".repeat(256), "x")));
    }

    @Test
    void constructsAUdpHeaderOverPrefilledBytes() {
        ByteBuffer out = ByteBuffer.allocate(32);
        Arrays.fill(out.array(), (byte) 0xa5);
        Socks5Codec.putUdpHeader(out, Destination.of("192.0.2.7", 53));
        assertArrayEquals(Arrays.copyOf(UDP_FROM_IPV4, 10), Arrays.copyOf(out.array(), out.position()));
    }

    @Test
    void deconstructsAUdpDatagram() throws Exception {
        ByteBuffer in = ByteBuffer.wrap(UDP_FROM_IPV4);
        assertEquals(Optional.of(Destination.of("192.0.2.7", 53)), Socks5Codec.getUdpHeader(in));
        assertEquals(10, in.position(), "positioned at the payload");
        assertEquals(Optional.empty(), Socks5Codec.getUdpHeader(ByteBuffer.wrap(FakeProxy.hex("0000 01 01 c0000207 0035"))),
                "a fragment is dropped");
    }

    @Test
    void truncatedAndImpossibleUdpDatagramsAreMalformed() {
        ReplyDecoder.MalformedException truncated = assertThrows(ReplyDecoder.MalformedException.class,
                () -> Socks5Codec.getUdpHeader(ByteBuffer.wrap(Arrays.copyOf(UDP_FROM_IPV4, 8))));
        assertEquals("truncated address (expected: 7 bytes, got 5)", truncated.getMessage());
        ReplyDecoder.MalformedException type = assertThrows(ReplyDecoder.MalformedException.class,
                () -> Socks5Codec.getUdpHeader(ByteBuffer.wrap(FakeProxy.hex("0000 00 02 c0000207 0035"))));
        assertEquals("address type 2 (expected: 1, 3 or 4)", type.getMessage());
    }

    @Test
    void methodSelectionAndPasswordStatusDecodeFromPieces() {
        ReplyDecoder<Socks5AuthMethod> method = Socks5ReplyDecoders.methodSelection();
        ByteBuffer in = ByteBuffer.wrap(FakeProxy.hex("05 02"), 0, 1);
        assertEquals(ReplyDecoder.State.INIT, method.decode(in));
        assertEquals(1, method.bytesWanted());
        in.limit(2);
        assertEquals(ReplyDecoder.State.SUCCESS, method.decode(in));
        assertSame(Socks5AuthMethod.PASSWORD, method.message());

        ReplyDecoder<Integer> status = Socks5ReplyDecoders.passwordStatus();
        assertEquals(ReplyDecoder.State.FAILURE, status.decode(ByteBuffer.wrap(FakeProxy.hex("05"))));
        assertEquals("subnegotiation version 5 (expected: 1)", status.failure());
        assertEquals(ReplyDecoder.State.FAILURE, status.decode(ByteBuffer.wrap(FakeProxy.hex("01 00"))), "FAILURE is final");
    }

    @Test
    void commandReplyCarriesTheBoundAddressOfEachType() {
        Object[][] table = {
            {"05 00 00 01 7f000001 0438", Destination.of("127.0.0.1", 1080)},
            {"05 00 00 04 20010db8000000000000000000000001 0438", Destination.of(IpLiteral.parse("2001:db8::1").orElseThrow(), 1080)},
            {"05 00 00 03 0b 6578616d706c652e636f6d 0438", Destination.of("example.com", 1080)},
        };
        for (Object[] row : table) {
            ReplyDecoder<Socks5ReplyDecoders.CommandReply> d = Socks5ReplyDecoders.commandReply();
            assertEquals(ReplyDecoder.State.SUCCESS, d.decode(ByteBuffer.wrap(FakeProxy.hex((String) row[0]))));
            assertEquals(Optional.of(row[1]), d.message().bound());
            assertSame(Socks5Reply.SUCCEEDED, d.message().reply());
        }
    }

    @Test
    void destinationsKeepNamesAndNeverResolve() {
        Destination name = Destination.of("www.example.com", 443);
        assertEquals(Optional.of("www.example.com"), name.name());
        assertEquals(Optional.empty(), name.address());
        assertEquals("[2001:db8::1]:443", Destination.of("2001:db8::1", 443).toString());
        assertEquals(Destination.of("localhost", 80), Destination.of(InetSocketAddress.createUnresolved("localhost", 80)));
        assertThrows(IllegalArgumentException.class, () -> Destination.of("a".repeat(256), 80));
        assertThrows(IllegalArgumentException.class, () -> new Destination(Optional.empty(), Optional.empty(), 80));
    }
}
