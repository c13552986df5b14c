package dev.nstun.stack.icmp;

import static dev.nstun.stack.icmp.EchoPackets.ADDRESS_UNREACHABLE6;
import static dev.nstun.stack.icmp.EchoPackets.HOST_UNREACHABLE4;
import static dev.nstun.stack.icmp.EchoPackets.PAYLOAD;
import static dev.nstun.stack.icmp.EchoPackets.REPLY4;
import static dev.nstun.stack.icmp.EchoPackets.REPLY4_RESOLVER;
import static dev.nstun.stack.icmp.EchoPackets.REPLY6;
import static dev.nstun.stack.icmp.EchoPackets.REPLY6_RESOLVER;
import static dev.nstun.stack.icmp.EchoPackets.REQUEST4;
import static dev.nstun.stack.icmp.EchoPackets.REQUEST4_RESOLVER;
import static dev.nstun.stack.icmp.EchoPackets.REQUEST6;
import static dev.nstun.stack.icmp.EchoPackets.REQUEST6_RESOLVER;
import static dev.nstun.stack.icmp.EchoPackets.ROUTER_SOLICITATION6;
import static dev.nstun.stack.icmp.EchoPackets.TIMESTAMP4;
import static dev.nstun.stack.icmp.EchoPackets.TRUNCATED4;
import static dev.nstun.stack.icmp.EchoPackets.show;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nstun.stack.PacketOutput;
import dev.nstun.stack.StackCounters;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowRefusedException;
import dev.nstun.stack.flow.FlowSnapshot;
import dev.nstun.stack.wire.Checksum;
import dev.nstun.stack.wire.DropReason;
import dev.nstun.stack.wire.IcmpV4Message;
import dev.nstun.stack.wire.IcmpV6Message;
import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The echo relay driven with packet literals, a fake transport, explicit time and a hand-run loop. */
class EchoFlowsTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long IDLE = 30 * SECOND;

    private final FakeTransport transport = new FakeTransport();
    private final ArrayDeque<Runnable> loopTasks = new ArrayDeque<>();
    private final ArrayDeque<byte[]> toCommand = new ArrayDeque<>();
    private final StackCounters counters = new StackCounters();
    private EchoFlows flows = flows(1024, 64);

    @AfterEach
    void everythingIsReleased() {
        flows.closeAll();
        assertEquals(0, flows.size(), "flows left in the table");
        for (FakeTransport.Channel c : transport.channels) assertTrue(c.closed, "channel to " + c.destination + " left open");
        assertTrue(loopTasks.isEmpty(), "tasks posted to the loop and never run: " + loopTasks.size());
        assertTrue(toCommand.isEmpty(), "packets to the command nobody looked at: " + toCommand.size());
    }

    @Nested
    class Relay {
        @Test
        void ipv4RequestGoesOutWithItsSequenceAndData() throws Exception {
            send(0, REQUEST4);
            recvNothing();
            FakeTransport.Channel c = transport.only();
            assertEquals(address("192.0.2.7"), c.destination);
            assertEquals(1, c.sent.size());
            assertEquals(7, c.sent.get(0).sequence());
            assertArrayEquals(PAYLOAD, c.sent.get(0).payload());
        }

        @Test
        void ipv4ReplyComesBackFromThePingedAddressWithTheCommandsIdentifier() {
            send(0, REQUEST4);
            transport.only().reply(7, PAYLOAD);
            recvNothing(); // nothing until the loop runs the handed-over reply
            runLoop();
            byte[] reply = recv();
            assertArrayEquals(REPLY4, reply, () -> "got " + show(reply) + "\nwant " + show(REPLY4));
            assertChecksumsValid(reply);
        }

        @Test
        void ipv6RequestAndReply() throws Exception {
            send(0, REQUEST6);
            FakeTransport.Channel c = transport.only();
            assertEquals(address("2001:db8::7"), c.destination);
            assertEquals(9, c.sent.get(0).sequence());
            assertArrayEquals(PAYLOAD, c.sent.get(0).payload());
            c.reply(9, PAYLOAD);
            runLoop();
            byte[] reply = recv();
            assertArrayEquals(REPLY6, reply, () -> "got " + show(reply) + "\nwant " + show(REPLY6));
            assertChecksumsValid(reply);
        }

        @Test
        void aSnapshotShowsTheFlowWithItsIdentifierPayloadBytesEachWayAndAge() throws Exception {
            send(SECOND, REQUEST4);
            transport.only().reply(7, PAYLOAD);
            runLoop();
            recv();
            List<FlowSnapshot> got = new ArrayList<>();
            flows.snapshot(3 * SECOND, got);
            assertEquals(List.of(new FlowSnapshot(new FlowId(FlowId.Protocol.ICMP, address("198.18.0.1"), 0x1234, address("192.0.2.7"), 0),
                    "OPEN", PAYLOAD.length, PAYLOAD.length, 2 * SECOND)), got);
        }

        @Test
        void laterRequestsOfTheFlowUseItsChannel() {
            send(0, REQUEST4);
            send(SECOND, withSequence4(REQUEST4, 8));
            FakeTransport.Channel c = transport.only();
            assertEquals(List.of(7, 8), c.sent.stream().map(FakeTransport.Sent::sequence).toList());
        }

        @Test
        void anotherIdentifierIsAnotherFlow() {
            send(0, REQUEST4);
            send(0, withIdentifier4(REQUEST4, 0x4321));
            assertEquals(2, transport.channels.size());
            assertEquals(2, flows.size());
            transport.channels.get(1).reply(7, PAYLOAD);
            runLoop();
            byte[] reply = recv();
            IcmpV4Message icmp = IcmpV4Message.unchecked(ByteBuffer.wrap(reply), 20, reply.length - 20);
            assertEquals(0x4321, icmp.identifier(), "identifier");
            assertChecksumsValid(reply);
        }

        @Test
        void theReplyIsCopiedBeforeTheTransportReusesItsBuffer() {
            send(0, REQUEST4);
            ByteBuffer transportBuffer = ByteBuffer.allocateDirect(100);
            transportBuffer.put(10, PAYLOAD).position(10).limit(10 + PAYLOAD.length);
            transport.only().replies.reply(7, transportBuffer);
            transportBuffer.put(10, new byte[PAYLOAD.length]); // the reader thread's next read
            runLoop();
            assertArrayEquals(REPLY4, recv());
        }
    }

    @Nested
    class AnsweredLocally {
        @Test
        void resolverAddressAnswersIpv4WithoutAnySocket() {
            send(0, REQUEST4_RESOLVER);
            byte[] reply = recv();
            assertArrayEquals(REPLY4_RESOLVER, reply, () -> "got " + show(reply) + "\nwant " + show(REPLY4_RESOLVER));
            assertTrue(transport.channels.isEmpty(), "opened a channel");
            assertEquals(0, flows.size());
        }

        @Test
        void resolverAddressAnswersIpv6WithoutAnySocket() {
            send(0, REQUEST6_RESOLVER);
            byte[] reply = recv();
            assertArrayEquals(REPLY6_RESOLVER, reply, () -> "got " + show(reply) + "\nwant " + show(REPLY6_RESOLVER));
            assertTrue(transport.channels.isEmpty(), "opened a channel");
        }
    }

    @Nested
    class Dropped {
        @Test
        void badChecksumIsCountedAndGoesNowhere() {
            byte[] corrupt = REQUEST4.clone();
            corrupt[corrupt.length - 1] ^= 1;
            send(0, corrupt);
            recvNothing();
            assertTrue(transport.channels.isEmpty());
            assertEquals(1, counters.get(DropReason.ICMP_BAD_CHECKSUM));
        }

        @Test
        void badIpv6ChecksumIsCounted() {
            byte[] corrupt = REQUEST6.clone();
            corrupt[8] ^= 1; // the source address: covered by the pseudo header only
            send(0, corrupt);
            recvNothing();
            assertEquals(1, counters.get(DropReason.ICMP_BAD_CHECKSUM));
        }

        @Test
        void truncatedMessageIsCounted() {
            send(0, TRUNCATED4);
            recvNothing();
            assertEquals(1, counters.get(DropReason.TRUNCATED));
        }

        @Test
        void routerSolicitationIsIgnored() {
            send(0, ROUTER_SOLICITATION6);
            recvNothing();
            assertTrue(transport.channels.isEmpty());
            assertEquals(1, flows.counters().get(EchoCounters.Drop.NOT_ECHO_REQUEST));
        }

        @Test
        void timestampRequestIsIgnored() {
            send(0, TIMESTAMP4);
            recvNothing();
            assertEquals(1, flows.counters().get(EchoCounters.Drop.NOT_ECHO_REQUEST));
        }

        @Test
        void busySocketLosesTheRequest() {
            transport.accepting = false;
            send(0, REQUEST4);
            recvNothing();
            assertEquals(1, flows.counters().get(EchoCounters.Drop.UPSTREAM_BUSY));
        }
    }

    @Nested
    class Failures {
        @Test
        void refusedDestinationIsAnsweredAdministrativelyProhibited() {
            transport.refuse = true;
            send(0, REQUEST4);
            send(SECOND, withSequence4(REQUEST4, 8));
            for (int seq : new int[] {7, 8}) {
                byte[] error = recv();
                assertError4(error, IcmpV4Message.TYPE_DESTINATION_UNREACHABLE, IcmpV4Message.CODE_ADMIN_PROHIBITED, seq);
            }
            assertEquals(1, transport.opens, "opens: the refusal is remembered for the flow");
        }

        @Test
        void transportThatCannotOpenAnswersNetworkUnreachable() {
            transport.failOpen = true;
            send(0, REQUEST6);
            byte[] error = recv();
            Ipv6Packet ip = Ipv6Packet.unchecked(ByteBuffer.wrap(error), 0, error.length);
            IcmpV6Message icmp = IcmpV6Message.unchecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength());
            assertEquals(IcmpV6Message.TYPE_DESTINATION_UNREACHABLE, icmp.type());
            assertEquals(IcmpV6Message.CODE_NO_ROUTE, icmp.code());
            assertArrayEquals(REQUEST6, Arrays.copyOfRange(error, 48, error.length), "the whole request is quoted");
            assertChecksumsValid(error);
        }

        @Test
        void sendFailureAnswersNetworkUnreachable() {
            transport.failSend = true;
            send(0, REQUEST4);
            assertError4(recv(), IcmpV4Message.TYPE_DESTINATION_UNREACHABLE, IcmpV4Message.CODE_NET_UNREACHABLE, 7);
        }

        @Test
        void ipv4ErrorFromTheNetworkReachesTheCommandQuotingItsRequest() throws Exception {
            send(0, REQUEST4);
            transport.only().replies.error(address("192.0.2.1"), IcmpV4Message.TYPE_DESTINATION_UNREACHABLE,
                    IcmpV4Message.CODE_HOST_UNREACHABLE, 0, 7);
            runLoop();
            byte[] error = recv();
            assertArrayEquals(HOST_UNREACHABLE4, error, () -> "got " + show(error) + "\nwant " + show(HOST_UNREACHABLE4));
        }

        @Test
        void ipv6ErrorFromTheNetworkReachesTheCommandQuotingItsRequest() throws Exception {
            send(0, REQUEST6);
            transport.only().replies.error(address("2001:db8::1"), IcmpV6Message.TYPE_DESTINATION_UNREACHABLE,
                    IcmpV6Message.CODE_ADDRESS_UNREACHABLE, 0, 9);
            runLoop();
            byte[] error = recv();
            assertArrayEquals(ADDRESS_UNREACHABLE6, error, () -> "got " + show(error) + "\nwant " + show(ADDRESS_UNREACHABLE6));
        }

        @Test
        void errorOfATypeWeDoNotRelayIsDropped() throws Exception {
            send(0, REQUEST4);
            transport.only().replies.error(address("192.0.2.1"), 5, 0, 0, 7); // redirect
            runLoop();
            recvNothing();
            assertEquals(1, flows.counters().get(EchoCounters.Drop.REPLY_UNUSABLE));
        }
    }

    @Nested
    class Table {
        @Test
        void idleFlowExpiresAndItsChannelCloses() {
            send(0, REQUEST4);
            assertEquals(IDLE, flows.expire(10 * SECOND), "next deadline");
            send(20 * SECOND, withSequence4(REQUEST4, 8));
            assertEquals(20 * SECOND + IDLE, flows.expire(49 * SECOND));
            assertEquals(1, flows.size());
            assertEquals(Long.MAX_VALUE, flows.expire(50 * SECOND));
            assertEquals(0, flows.size());
            assertTrue(transport.only().closed, "channel closed on expiry");
        }

        @Test
        void replyAfterExpiryIsDropped() {
            send(0, REQUEST4);
            FakeTransport.Channel c = transport.only();
            flows.expire(IDLE);
            c.reply(7, PAYLOAD);
            runLoop();
            recvNothing();
            assertEquals(1, flows.counters().get(EchoCounters.Drop.REPLY_LATE));
        }

        @Test
        void aFlowOpenedAgainAfterExpiryDoesNotTakeTheOldFlowsReplies() {
            send(0, REQUEST4);
            FakeTransport.Channel old = transport.only();
            flows.expire(IDLE);
            send(IDLE + SECOND, REQUEST4);
            old.reply(7, PAYLOAD);
            runLoop();
            recvNothing();
            transport.channels.get(1).reply(7, PAYLOAD);
            runLoop();
            assertArrayEquals(REPLY4, recv());
        }

        @Test
        void fullTableEvictsTheFlowIdleLongest() {
            flows = flows(2, 64);
            send(0, withIdentifier4(REQUEST4, 1));
            send(SECOND, withIdentifier4(REQUEST4, 2));
            send(2 * SECOND, withIdentifier4(REQUEST4, 1)); // flow 1 is now the more recent
            send(3 * SECOND, withIdentifier4(REQUEST4, 3));
            assertEquals(2, flows.size());
            assertEquals(List.of(false, true, false), transport.channels.stream().map(c -> c.closed).toList(),
                    "closed: flow 2 was evicted");
        }

        @Test
        void repliesWaitingForTheLoopAreBounded() {
            flows = flows(1024, 2);
            send(0, REQUEST4);
            FakeTransport.Channel c = transport.only();
            c.reply(1, PAYLOAD);
            c.reply(2, PAYLOAD);
            c.reply(3, PAYLOAD);
            assertEquals(2, loopTasks.size());
            assertEquals(1, flows.counters().get(EchoCounters.Drop.REPLY_BACKLOG));
            runLoop();
            recv();
            recv();
            c.reply(4, PAYLOAD); // the backlog drained: room again
            runLoop();
            recv();
        }
    }

    // ---- helpers ----

    private EchoFlows flows(int maxFlows, int maxBacklog) {
        ByteBuffer out = ByteBuffer.allocateDirect(65535);
        PacketOutput output = new PacketOutput() {
            @Override
            public ByteBuffer buffer() {
                return out;
            }

            @Override
            public void send(int length) {
                byte[] packet = new byte[length];
                out.get(0, packet);
                toCommand.add(packet);
            }
        };
        EchoFlows.Config config = new EchoFlows.Config(IDLE, maxFlows, maxBacklog,
                List.of(address("198.18.0.2"), address("fd4e:5354:554e::2")));
        return new EchoFlows(transport, loopTasks::add, output, counters, config);
    }

    /** Hands a packet from the command to the relay, as the loop does: in a direct buffer, IP header checked. */
    private void send(long atNanos, byte[] packet) {
        ByteBuffer in = ByteBuffer.allocateDirect(65535);
        in.put(0, packet);
        IpPacket ip = (packet[0] >>> 4) == 6 ? new Ipv6Packet() : new Ipv4Packet();
        DropReason bad = ip instanceof Ipv6Packet v6 ? v6.wrapChecked(in, 0, packet.length) : ((Ipv4Packet) ip).wrapChecked(in, 0, packet.length);
        assertNull(bad, "the test's packet is not a valid IP packet");
        flows.onPacket(atNanos, ip);
    }

    /** Returns the one packet the relay sent to the command, failing if there is not exactly one. */
    private byte[] recv() {
        byte[] p = toCommand.poll();
        if (p == null) fail("no packet to the command");
        return p;
    }

    private void recvNothing() {
        assertTrue(toCommand.isEmpty(), () -> "unexpected packet to the command: " + show(toCommand.peek()));
    }

    /** Runs what the transport's thread posted, as the loop would on its next turn. */
    private void runLoop() {
        for (Runnable r; (r = loopTasks.poll()) != null; ) r.run();
    }

    private static void assertError4(byte[] packet, int type, int code, int quotedSequence) {
        Ipv4Packet ip = Ipv4Packet.unchecked(ByteBuffer.wrap(packet), 0, packet.length);
        assertEquals(0xc0000207, ip.source(), "source: the pinged address");
        assertEquals(0xc6120001, ip.destination(), "destination: the command");
        IcmpV4Message icmp = IcmpV4Message.unchecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength());
        assertEquals(type, icmp.type(), "type");
        assertEquals(code, icmp.code(), "code");
        IcmpV4Message quoted = IcmpV4Message.unchecked(ip.buffer(), icmp.payloadOffset() + 20, 8);
        assertEquals(0x1234, quoted.identifier(), "quoted identifier");
        assertEquals(quotedSequence, quoted.sequence(), "quoted sequence");
        assertChecksumsValid(packet);
    }

    private static void assertChecksumsValid(byte[] packet) {
        ByteBuffer b = ByteBuffer.wrap(packet);
        if ((packet[0] >>> 4) == 6) {
            Ipv6Packet ip = Ipv6Packet.unchecked(b, 0, packet.length);
            assertTrue(Checksum.verifyIcmpV6(ip, IcmpV6Message.unchecked(b, ip.payloadOffset(), ip.payloadLength())), "ICMPv6 checksum");
        } else {
            Ipv4Packet ip = Ipv4Packet.unchecked(b, 0, packet.length);
            assertTrue(Checksum.verifyIpv4Header(ip), "IPv4 header checksum");
            assertTrue(Checksum.verifyIcmpV4(IcmpV4Message.unchecked(b, ip.payloadOffset(), ip.payloadLength())), "ICMP checksum");
        }
    }

    private static byte[] withSequence4(byte[] request, int sequence) {
        byte[] p = request.clone();
        IcmpV4Message icmp = IcmpV4Message.unchecked(ByteBuffer.wrap(p), 20, p.length - 20);
        icmp.setSequence(sequence);
        Checksum.fillIcmpV4(icmp);
        return p;
    }

    private static byte[] withIdentifier4(byte[] request, int identifier) {
        byte[] p = request.clone();
        IcmpV4Message icmp = IcmpV4Message.unchecked(ByteBuffer.wrap(p), 20, p.length - 20);
        icmp.setIdentifier(identifier);
        Checksum.fillIcmpV4(icmp);
        return p;
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Records what the relay asks of it; replies are injected by the test as the transport's thread would. */
    static final class FakeTransport implements EchoTransport {
        record Sent(int sequence, byte[] payload) {}

        final List<Channel> channels = new ArrayList<>();
        boolean refuse;
        boolean failOpen;
        boolean failSend;
        boolean accepting = true;
        int opens;

        @Override
        public EchoTransport.Channel open(InetAddress destination, Replies replies) throws IOException {
            opens++;
            if (refuse) throw new FlowRefusedException(destination.getHostAddress() + " is not for pinging");
            if (failOpen) throw new IOException("socket: Address family not supported by protocol");
            Channel c = new Channel(destination, replies);
            channels.add(c);
            return c;
        }

        Channel only() {
            assertEquals(1, channels.size(), "channels opened");
            return channels.get(0);
        }

        final class Channel implements EchoTransport.Channel {
            final InetAddress destination;
            final Replies replies;
            final List<Sent> sent = new ArrayList<>();
            boolean closed;

            Channel(InetAddress destination, Replies replies) {
                this.destination = destination;
                this.replies = replies;
            }

            @Override
            public boolean send(int sequence, ByteBuffer payload) throws IOException {
                assertTrue(!closed, "send on a closed channel");
                if (failSend) throw new IOException("sendto: Network is unreachable");
                if (!accepting) return false;
                byte[] data = new byte[payload.remaining()];
                payload.get(data);
                sent.add(new Sent(sequence, data));
                return true;
            }

            @Override
            public void close() {
                closed = true;
            }

            /** Delivers a reply from a heap buffer, as the transport's thread would. */
            void reply(int sequence, byte[] data) {
                replies.reply(sequence, ByteBuffer.wrap(data));
            }
        }
    }
}
