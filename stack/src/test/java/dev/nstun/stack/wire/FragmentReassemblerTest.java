package dev.nstun.stack.wire;

import static dev.nstun.stack.wire.CapturedPackets.ICMP4_FRAGMENT_FIRST;
import static dev.nstun.stack.wire.CapturedPackets.ICMP4_FRAGMENT_LAST;
import static dev.nstun.stack.wire.CapturedPackets.ICMP6_FRAGMENT_FIRST;
import static dev.nstun.stack.wire.CapturedPackets.ICMP6_FRAGMENT_LAST;
import static dev.nstun.stack.wire.CapturedPackets.V4_CLIENT;
import static dev.nstun.stack.wire.CapturedPackets.V4_SERVER;
import static dev.nstun.stack.wire.CapturedPackets.V6_CLIENT_LOW;
import static dev.nstun.stack.wire.CapturedPackets.V6_PREFIX;
import static dev.nstun.stack.wire.CapturedPackets.V6_SERVER_LOW;
import static dev.nstun.stack.wire.CapturedPackets.bytes;
import static dev.nstun.stack.wire.CapturedPackets.slice;
import static dev.nstun.stack.wire.CapturedPackets.wrap;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class FragmentReassemblerTest {

    private final FragmentReassembler reassembler = new FragmentReassembler(4, 256 * 1024, FragmentReassembler.DEFAULT_TIMEOUT_MILLIS);

    @AfterEach
    void nothingLeftBehind() {
        reassembler.expire(Long.MAX_VALUE);
        assertEquals(0, reassembler.datagramsHeld(), "datagrams held");
        assertEquals(0, reassembler.bytesHeld(), "bytes held");
    }

    @Nested
    class V4 {

        @Test
        void reassemblesCapturedEchoRequest() {
            assertNull(reassembler.offer(0, v4(ICMP4_FRAGMENT_FIRST)));
            assertNull(reassembler.completed());
            assertEquals(1, reassembler.datagramsHeld());
            assertNull(reassembler.offer(5, v4(ICMP4_FRAGMENT_LAST)));
            assertWholeEchoRequest(reassembler.completed());
            assertEquals(0, reassembler.datagramsHeld());
        }

        @Test
        void reassemblesOutOfOrder() {
            assertNull(reassembler.offer(0, v4(ICMP4_FRAGMENT_LAST)));
            assertNull(reassembler.completed());
            assertNull(reassembler.offer(0, v4(ICMP4_FRAGMENT_FIRST)));
            assertWholeEchoRequest(reassembler.completed());
        }

        @Test
        void completedIsGoneAfterTheNextOffer() {
            reassembler.offer(0, v4(ICMP4_FRAGMENT_FIRST));
            reassembler.offer(0, v4(ICMP4_FRAGMENT_LAST));
            reassembler.offer(0, v4(fragment(1, 0, true, 16)));
            assertNull(reassembler.completed());
        }

        @Test
        void ignoresDuplicateAndStillCompletes() {
            assertNull(reassembler.offer(0, v4(ICMP4_FRAGMENT_FIRST)));
            assertEquals(DropReason.FRAGMENT_DUPLICATE, reassembler.offer(1, v4(ICMP4_FRAGMENT_FIRST)));
            assertNull(reassembler.offer(2, v4(ICMP4_FRAGMENT_LAST)));
            assertWholeEchoRequest(reassembler.completed());
        }

        @Test
        void reassemblesManySmallFragmentsInAnyOrder() {
            int[] order = {3, 0, 4, 1, 2};
            for (int i = 0; i < order.length; i++) {
                int k = order[i];
                assertNull(reassembler.offer(0, v4(fragment(7, k * 16, k < 4, k < 4 ? 16 : 5))));
                assertEquals(i == order.length - 1, reassembler.completed() != null, "after fragment " + k);
            }
            Ipv4Packet whole = assertInstanceOf(Ipv4Packet.class, reassembler.completed());
            assertEquals(20 + 69, whole.totalLength());
            assertFalse(whole.isFragment());
            assertTrue(Checksum.verifyIpv4Header(whole));
            for (int i = 0; i < 69; i++) assertEquals((byte) i, whole.buffer().get(whole.payloadOffset() + i), "byte " + i);
        }

        @Test
        void dropsWholeDatagramOnPartialOverlap() {
            assertNull(reassembler.offer(0, v4(fragment(1, 0, true, 16))));
            assertEquals(DropReason.FRAGMENT_OVERLAP, reassembler.offer(0, v4(fragment(1, 8, true, 16))));
            assertEquals(0, reassembler.datagramsHeld());
        }

        @Test
        void dropsDatagramWhoseEndMoves() {
            assertNull(reassembler.offer(0, v4(fragment(1, 16, false, 8))));
            assertEquals(DropReason.FRAGMENT_OVERLAP, reassembler.offer(0, v4(fragment(1, 32, false, 8))));
            assertNull(reassembler.offer(0, v4(fragment(2, 16, false, 8))));
            assertEquals(DropReason.FRAGMENT_OVERLAP, reassembler.offer(0, v4(fragment(2, 24, true, 8))), "data past the end");
            assertNull(reassembler.offer(0, v4(fragment(3, 32, true, 8))));
            assertEquals(DropReason.FRAGMENT_OVERLAP, reassembler.offer(0, v4(fragment(3, 16, false, 8))), "end before data");
            assertEquals(0, reassembler.datagramsHeld());
        }

        @Test
        void refusesBadLengths() {
            assertEquals(DropReason.FRAGMENT_BAD_LENGTH, reassembler.offer(0, v4(fragment(1, 0, true, 12))));
            assertEquals(DropReason.FRAGMENT_BAD_LENGTH, reassembler.offer(0, v4(fragment(1, 8, false, 0))));
            assertEquals(DropReason.FRAGMENT_TOO_LARGE, reassembler.offer(0, v4(fragment(1, 65528, false, 8))));
            assertEquals(0, reassembler.datagramsHeld());
        }

        @Test
        void keysOnAddressesProtocolAndIdentification() {
            assertNull(reassembler.offer(0, v4(fragment(1, 0, true, 16))));
            byte[] other = fragment(1, 16, false, 8);
            other[19] = 3;
            assertNull(reassembler.offer(0, v4(other)));
            assertNull(reassembler.completed(), "another destination is another datagram");
            assertEquals(2, reassembler.datagramsHeld());
        }

        private static void assertWholeEchoRequest(IpPacket completed) {
            Ipv4Packet whole = assertInstanceOf(Ipv4Packet.class, completed);
            assertEquals(1428, whole.totalLength());
            assertEquals(1428, whole.length());
            assertFalse(whole.isFragment());
            assertEquals(38712, whole.identification());
            assertTrue(Checksum.verifyIpv4Header(whole));
            ByteBuffer copy = ByteBuffer.allocate(whole.length());
            copy.put(0, whole.buffer(), whole.offset(), whole.length());
            Ipv4Packet checked = new Ipv4Packet();
            assertNull(checked.wrapChecked(copy, 0, copy.capacity()));
            IcmpV4Message icmp = new IcmpV4Message();
            assertNull(icmp.wrapChecked(copy, checked.payloadOffset(), checked.payloadLength()));
            assertEquals(5475, icmp.identifier());
            assertTrue(Checksum.verifyIcmpV4(icmp), "the ICMP checksum covers the whole reassembled datagram");
            assertArrayEquals(slice(ICMP4_FRAGMENT_LAST, 20, 172), slice(bytes(copy, 0, 1428), 1276, 1428));
        }
    }

    @Nested
    class V6 {

        @Test
        void reassemblesCapturedEchoRequestInEitherOrder() {
            for (boolean lastFirst : new boolean[] {false, true}) {
                assertNull(reassembler.offer(0, v6(lastFirst ? ICMP6_FRAGMENT_LAST : ICMP6_FRAGMENT_FIRST)));
                assertNull(reassembler.completed());
                assertNull(reassembler.offer(0, v6(lastFirst ? ICMP6_FRAGMENT_FIRST : ICMP6_FRAGMENT_LAST)));
                Ipv6Packet whole = assertInstanceOf(Ipv6Packet.class, reassembler.completed());
                assertFalse(whole.isFragment());
                assertEquals(IpProtocol.ICMPV6, whole.nextHeader());
                assertEquals(IpProtocol.ICMPV6, whole.protocol());
                assertEquals(1408, whole.payloadLengthField());
                assertEquals(40, whole.payloadOffset());
                IcmpV6Message icmp = new IcmpV6Message();
                assertNull(icmp.wrapChecked(whole.buffer(), whole.payloadOffset(), whole.payloadLength()));
                assertEquals(5476, icmp.identifier());
                assertTrue(Checksum.verifyIcmpV6(whole, icmp), "the ICMPv6 checksum covers the whole reassembled datagram");
            }
        }

        @Test
        void keepsTheUnfragmentablePartAndPointsItAtTheUpperLayer() {
            assertNull(reassembler.offer(0, v6(fragment6(9, 16, false, 5))));
            assertNull(reassembler.offer(0, v6(fragment6(9, 0, true, 16))));
            Ipv6Packet whole = assertInstanceOf(Ipv6Packet.class, reassembler.completed());
            assertEquals(IpProtocol.IPV6_DESTINATION_OPTIONS, whole.nextHeader());
            assertEquals(IpProtocol.UDP, whole.buffer().get(40), "the destination options now name UDP");
            assertEquals(IpProtocol.UDP, whole.protocol());
            assertEquals(8, whole.extensionHeadersLength());
            assertEquals(8 + 21, whole.payloadLengthField());
            assertEquals(21, whole.payloadLength());
            for (int i = 0; i < 21; i++) assertEquals((byte) i, whole.buffer().get(whole.payloadOffset() + i), "byte " + i);
        }

        @Test
        void walksTheReassembledChainAsACheckedPacket() {
            // The fragment header names destination options, and the data starts with one (next header
            // 0, length 16, Pad1 options): the hop-by-hop header it names is refused only once the
            // datagram is whole.
            byte[] first = fragment6(5, 0, true, 16);
            first[48] = IpProtocol.IPV6_DESTINATION_OPTIONS;
            Arrays.fill(first, 58, 72, (byte) 0);
            assertNull(reassembler.offer(0, v6(first)));
            assertEquals(DropReason.IPV6_MISPLACED_HOP_BY_HOP, reassembler.offer(0, v6(fragment6(5, 16, false, 8))));
            assertNull(reassembler.completed());
        }

        @Test
        void refusesBadLengths() {
            assertEquals(DropReason.FRAGMENT_BAD_LENGTH, reassembler.offer(0, v6(fragment6(1, 0, true, 12))));
            assertEquals(DropReason.FRAGMENT_TOO_LARGE, reassembler.offer(0, v6(fragment6(1, 65520, false, 16))));
            assertEquals(0, reassembler.datagramsHeld());
        }

        @Test
        void keysOnIdentification() {
            assertNull(reassembler.offer(0, v6(fragment6(1, 0, true, 16))));
            assertNull(reassembler.offer(0, v6(fragment6(2, 16, false, 8))));
            assertNull(reassembler.completed());
            assertEquals(2, reassembler.datagramsHeld());
        }

        /** The data of the first fragment starts with another fragment header: a real one (M set) or an atomic one. */
        @Test
        void dropsDatagramThatIsItselfAFragment() {
            for (int inner : new int[] {1, 0}) {
                byte[] first = fragment6(7, 0, true, 16);
                first[48] = IpProtocol.IPV6_FRAGMENT;
                byte[] innerHeader = {IpProtocol.UDP, 0, 0, (byte) inner, 0, 0, 0, 9};
                System.arraycopy(innerHeader, 0, first, 56, 8);
                assertNull(reassembler.offer(0, v6(first)));
                assertEquals(DropReason.FRAGMENT_NESTED, reassembler.offer(0, v6(fragment6(7, 16, false, 8))), "inner M flag " + inner);
                assertNull(reassembler.completed());
                assertEquals(0, reassembler.datagramsHeld());
            }
        }

        /** Further down the chain: the fragment header names destination options, then comes a real fragment header. */
        @Test
        void dropsDatagramWithAFragmentHeaderAfterOthers() {
            byte[] first = fragment6(8, 0, true, 16);
            first[48] = IpProtocol.IPV6_DESTINATION_OPTIONS;
            byte[] options = {IpProtocol.IPV6_FRAGMENT, 0, 1, 4, 0, 0, 0, 0, IpProtocol.UDP, 0, 0, 1, 0, 0, 0, 9};
            System.arraycopy(options, 0, first, 56, 16);
            assertNull(reassembler.offer(0, v6(first)));
            assertEquals(DropReason.FRAGMENT_NESTED, reassembler.offer(0, v6(fragment6(8, 16, false, 8))));
            assertNull(reassembler.completed());
        }

        @Test
        void dropsWholeDatagramOnPartialOverlap() {
            assertNull(reassembler.offer(0, v6(fragment6(1, 0, true, 24))));
            assertEquals(DropReason.FRAGMENT_OVERLAP, reassembler.offer(0, v6(fragment6(1, 16, false, 16))));
            assertEquals(0, reassembler.datagramsHeld());
        }
    }

    @Test
    void expiresAfterTheTimeout() {
        assertEquals(Long.MAX_VALUE, reassembler.pollAt());
        reassembler.offer(1_000, v4(ICMP4_FRAGMENT_FIRST));
        reassembler.offer(2_000, v6(ICMP6_FRAGMENT_FIRST));
        assertEquals(31_000, reassembler.pollAt());
        assertEquals(0, reassembler.expire(30_999));
        assertEquals(1, reassembler.expire(31_000));
        assertEquals(32_000, reassembler.pollAt());
        assertEquals(1, reassembler.expire(32_000));
        assertEquals(2, reassembler.timedOut());
        assertNull(reassembler.offer(32_000, v4(ICMP4_FRAGMENT_LAST)), "a late fragment starts afresh");
        assertNull(reassembler.completed());
    }

    @Test
    void offerExpiresStaleDatagramsFirst() {
        FragmentReassembler one = new FragmentReassembler(1, 1 << 20, 100);
        assertNull(one.offer(0, v4(fragment(1, 0, true, 16))));
        assertNull(one.offer(100, v6(fragment6(2, 0, true, 16))));
        assertEquals(1, one.timedOut());
        assertEquals(0, one.evictedByLastOffer(), "timed out, not evicted");
        one.expire(Long.MAX_VALUE);
        assertEquals(0, one.bytesHeld());
    }

    @Test
    void refusesADatagramLargerThanTheWholeByteBudget() {
        FragmentReassembler small = new FragmentReassembler(4, 1000, 100);
        assertNull(small.offer(0, v4(fragment(1, 0, true, 16))));
        assertEquals(DropReason.REASSEMBLY_FULL, small.offer(0, v4(ICMP4_FRAGMENT_FIRST)));
        assertEquals(0, small.evictedByLastOffer(), "nothing gives way to what cannot fit anyway");
        assertEquals(1, small.datagramsHeld());
        assertEquals(36, small.bytesHeld(), "16 bytes of data and the 20-byte header");
        small.expire(100);
        assertEquals(0, small.bytesHeld());
    }

    /** Issue 8: 64 incomplete datagrams, never completed, used to refuse every fragmented datagram for 30 s. */
    @Nested
    class Eviction {
        private final FragmentReassembler full = new FragmentReassembler(64, 4L << 20, FragmentReassembler.DEFAULT_TIMEOUT_MILLIS);

        @AfterEach
        void nothingLeftBehind() {
            full.expire(Long.MAX_VALUE);
            assertEquals(0, full.bytesHeld(), "bytes held");
        }

        @Test
        void aCompleteDatagramGetsThroughAHundredIncompleteOnes() {
            int evicted = 0;
            for (int i = 0; i < 100; i++) {
                assertNull(i % 2 == 0 ? full.offer(i, v4(fragment(1000 + i, 0, true, 16))) : full.offer(i, v6(fragment6(1000 + i, 0, true, 16))));
                evicted += full.evictedByLastOffer();
            }
            assertEquals(64, full.datagramsHeld());
            assertEquals(36, evicted, "the oldest 36 made way");
            // Two fragmented datagrams, interleaved: each first fragment evicts one of the incomplete ones.
            assertNull(full.offer(200, v4(ICMP4_FRAGMENT_FIRST)));
            assertEquals(1, full.evictedByLastOffer());
            assertNull(full.offer(201, v6(ICMP6_FRAGMENT_FIRST)));
            assertEquals(1, full.evictedByLastOffer());
            assertNull(full.completed());
            assertNull(full.offer(202, v4(ICMP4_FRAGMENT_LAST)));
            assertEquals(0, full.evictedByLastOffer(), "the datagram in progress is found, not a new one");
            V4.assertWholeEchoRequest(full.completed());
            assertNull(full.offer(203, v6(ICMP6_FRAGMENT_LAST)));
            Ipv6Packet whole = assertInstanceOf(Ipv6Packet.class, full.completed());
            assertEquals(IpProtocol.ICMPV6, whole.protocol());
            assertEquals(1408, whole.payloadLength());
            assertEquals(62, full.datagramsHeld());
        }

        @Test
        void theOldestGoesFirst() {
            for (int i = 1; i <= 64; i++) assertNull(full.offer(i, v4(fragment(i, 0, true, 16))));
            assertNull(full.offer(65, v4(fragment(65, 0, true, 16))));
            assertEquals(1, full.evictedByLastOffer());
            assertNull(full.offer(66, v4(fragment(2, 16, false, 8))));
            assertEquals(24, full.completed().payloadLength(), "datagram 2, the oldest left, completes");
            assertNull(full.offer(67, v4(fragment(1, 16, false, 8))));
            assertNull(full.completed(), "datagram 1 was evicted: its last fragment starts afresh");
        }

        @Test
        void theOldestMakeRoomInTheByteBudget() {
            FragmentReassembler small = new FragmentReassembler(64, 1000, 100);
            assertNull(small.offer(0, v4(fragment(1, 0, true, 400))));
            assertNull(small.offer(1, v4(fragment(2, 0, true, 400))));
            assertNull(small.offer(2, v4(fragment(3, 0, true, 400))));
            assertEquals(1, small.evictedByLastOffer(), "datagram 1 made way");
            assertEquals(2, small.datagramsHeld());
            assertEquals(840, small.bytesHeld());
            assertNull(small.offer(3, v4(fragment(2, 400, false, 8))));
            assertEquals(408, small.completed().payloadLength(), "datagram 2 completes");
            small.expire(Long.MAX_VALUE);
            assertEquals(0, small.bytesHeld());
        }
    }

    /** Returns an IPv4 fragment of a UDP datagram 198.18.0.1 > 198.18.0.2 whose byte {@code i} is {@code i}. */
    private static byte[] fragment(int identification, int offset, boolean more, int length) {
        ByteBuffer buf = ByteBuffer.allocate(20 + length);
        Ipv4Packet ip = Ipv4Packet.unchecked(buf, 0, 20 + length);
        ip.setVersionAndHeaderLength(20);
        ip.setTotalLength(20 + length);
        ip.setIdentification(identification);
        ip.setFlagsAndFragmentOffset(false, more, offset);
        ip.setTtl(64);
        ip.setProtocol(IpProtocol.UDP);
        ip.setSource(V4_CLIENT);
        ip.setDestination(V4_SERVER);
        Checksum.fillIpv4Header(ip);
        for (int i = 0; i < length; i++) buf.put(20 + i, (byte) (offset + i));
        return buf.array();
    }

    /**
     * Returns an IPv6 fragment of a UDP datagram fd00:6e73::1 > fd00:6e73::2 whose byte {@code i} is
     * {@code i}, with a destination options header (padding only) before the fragment header.
     */
    private static byte[] fragment6(int identification, int offset, boolean more, int length) {
        ByteBuffer buf = ByteBuffer.allocate(56 + length);
        Ipv6Packet ip = Ipv6Packet.unchecked(buf, 0, 40);
        ip.setVersionClassFlow(0, 0);
        ip.setPayloadLength(16 + length);
        ip.setNextHeader(IpProtocol.IPV6_DESTINATION_OPTIONS);
        ip.setHopLimit(64);
        ip.setSource(V6_PREFIX, V6_CLIENT_LOW);
        ip.setDestination(V6_PREFIX, V6_SERVER_LOW);
        buf.put(40, new byte[] {IpProtocol.IPV6_FRAGMENT, 0, 1, 4, 0, 0, 0, 0});
        buf.put(48, (byte) IpProtocol.UDP);
        buf.putShort(50, (short) (offset | (more ? 1 : 0)));
        buf.putInt(52, identification);
        for (int i = 0; i < length; i++) buf.put(56 + i, (byte) (offset + i));
        return buf.array();
    }

    private static Ipv4Packet v4(byte[] packet) {
        Ipv4Packet ip = new Ipv4Packet();
        assertNull(ip.wrapChecked(wrap(packet), 0, packet.length));
        assertTrue(ip.isFragment());
        return ip;
    }

    private static Ipv6Packet v6(byte[] packet) {
        Ipv6Packet ip = new Ipv6Packet();
        assertNull(ip.wrapChecked(wrap(packet), 0, packet.length));
        assertTrue(ip.isFragment());
        return ip;
    }
}
