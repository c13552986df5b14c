package dev.nstun.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.device.Device;
import dev.nstun.stack.device.ForwardingDevice;
import dev.nstun.stack.device.MemoryDevice;
import dev.nstun.stack.dns.DnsResolver;
import dev.nstun.stack.dns.FakeIpPool;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowRefusedException;
import dev.nstun.stack.flow.FlowSnapshot;
import dev.nstun.stack.flow.UdpUpstream;
import dev.nstun.stack.icmp.EchoFlows;
import dev.nstun.stack.icmp.EchoTransport;
import dev.nstun.stack.relay.TcpFlows;
import dev.nstun.stack.udp.UdpFlows;
import dev.nstun.stack.wire.Checksum;
import dev.nstun.stack.wire.IcmpV4Message;
import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.IpProtocol;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;
import dev.nstun.stack.wire.PacketBuilder;
import dev.nstun.stack.wire.TcpFields;
import dev.nstun.stack.wire.TcpOptions;
import dev.nstun.stack.wire.TcpSegment;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stack's own loop, turned by hand on virtual time over an in-memory link: no TUN, no root,
 * no watcher thread. What it sorts where, what fragments become, what it counts as dropped.
 */
class NetStackTest {
    static final long MS = 1_000_000L;
    /** The command's and nstun's own addresses on the link, as the CLI sets them up. */
    static final int COMMAND4 = 0xc612_0001;
    static final int ROUTER4 = 0xc612_0002;
    static final long PREFIX6 = 0xfd4e_5354_554e_0000L;
    /** Somewhere out there: a documentation address the loop would relay to. */
    static final int SERVER4 = 0xcb00_7107;

    private final MemoryDevice link = new MemoryDevice();
    private final PacketBuilder builder = new PacketBuilder();
    private NetStack stack;

    @BeforeEach
    void start() throws IOException {
        stack = begun(link);
    }

    /** A stack on {@code device} that refuses every flow, its loop readied at time 0. */
    private static NetStack begun(Device device) throws IOException {
        EchoFlows.Config echo = EchoFlows.Config.defaults(List.of(InetAddress.getByAddress(bytes(ROUTER4)),
                InetAddress.getByName("fd4e:5354:554e::2")));
        NetStack stack = new NetStack(device, new NetStack.Config(new RefusingDialer(), new NoEchoTransport(), UdpFlows.Config.defaults(),
                TcpFlows.Config.defaults(1500), echo, Optional.empty()), new InlineExecutor());
        stack.begin(0);
        return stack;
    }

    @AfterEach
    void stop() {
        stack.release();
    }

    @Test
    void aSecondStopDoesNotWakeTheDeviceAgain() throws Exception {
        EchoFlows.Config echo = EchoFlows.Config.defaults(List.of(InetAddress.getByAddress(bytes(ROUTER4))));
        MemoryDevice device = new MemoryDevice();
        NetStack running = new NetStack(device, new NetStack.Config(new RefusingDialer(), new NoEchoTransport(), UdpFlows.Config.defaults(),
                TcpFlows.Config.defaults(1500), echo, Optional.empty()), new InlineExecutor());
        Thread loop = Thread.ofPlatform().name("test-stack").start(running);
        running.stop();
        running.stop();
        loop.join(2000);
        assertFalse(loop.isAlive(), "the loop ended");
        assertEquals(1, device.wakeUps.get(), "wake-ups of the device: a second stop must not touch it (it may be closed by then)");
    }

    @Test
    void answersEachFamilyAndProtocolWhereItBelongs() throws IOException {
        link.toReceive.add(ackToNowhere4(1000, 0));
        link.toReceive.add(ackToNowhere6());
        link.toReceive.add(echoRequestToRouter());
        stack.turn(0, true);

        assertEquals(3, link.transmitted.size(), "packets out");
        TcpSegment rst4 = tcpOf(link.transmitted.get(0), new Ipv4Packet());
        assertTrue(rst4.rst() && !rst4.ack(), "a RST answers an IPv4 ACK no connection takes: " + rst4);
        assertEquals(1000, rst4.seqNumber(), "RST seq: got " + rst4.seqNumber() + ", want the segment's ACK 1000");
        TcpSegment rst6 = tcpOf(link.transmitted.get(1), new Ipv6Packet());
        assertTrue(rst6.rst(), "a RST answers the IPv6 one: " + rst6);
        Ipv4Packet reply = new Ipv4Packet();
        assertNull(reply.wrapChecked(ByteBuffer.wrap(link.transmitted.get(2)), 0, link.transmitted.get(2).length));
        assertEquals(IpProtocol.ICMP, reply.protocol(), "the echo request's answer");
        assertEquals(IcmpV4Message.TYPE_ECHO_REPLY, reply.buffer().get(reply.payloadOffset()) & 0xff, "ICMP type");
        assertEquals(Map.of(), stack.counters().snapshot(), "drops");
        assertEquals(3, stack.packetsIn(), "packets in");
        assertEquals(3, stack.packetsOut(), "packets out");
    }

    @Test
    void aSnapshotIsTakenOnTheLoopsNextTurnWithTheFlowsAndCounters() throws Exception {
        link.toReceive.add(udpToServer(5353, 10));
        link.toReceive.add(notRelayed(100));
        stack.turn(0, true);
        CompletableFuture<StackSnapshot> asked = stack.snapshot();
        assertFalse(asked.isDone(), "not taken off the loop");
        stack.turn(250 * MS, false);

        StackSnapshot got = asked.getNow(null);
        assertNotNull(got, "taken on the loop's next turn");
        assertEquals(1, got.flows().size(), "flows: " + got.flows());
        FlowSnapshot udp = got.flows().get(0);
        assertEquals(new FlowId(FlowId.Protocol.UDP, InetAddress.getByAddress(bytes(COMMAND4)), 40000, InetAddress.getByAddress(bytes(SERVER4)),
                5353), udp.id(), "the flow");
        assertEquals("REFUSED", udp.state(), "the dialer refused it");
        assertEquals(250 * MS, udp.ageNanos(), "age on the loop's clock");
        assertEquals(0, udp.bytesToUpstream(), "no upstream took a byte");
        assertEquals(Map.of("NOT_RELAYED", 1L), got.drops(), "drops");
        assertEquals(Map.of("ANSWERED_HERE", 0L, "FORWARDED", 0L, "SERVFAIL", 0L), got.dns(), "DNS answers (no resolver here)");
        assertEquals(2, got.packetsIn(), "packets in");
        assertEquals(1, got.packetsOut(), "packets out: the port unreachable for the refused flow's datagram");
    }

    @Test
    void aSnapshotNamesAFlowToAFakeAddressAndCountsTheAnswerThatHandedItOut(@TempDir Path sockets) throws Exception {
        FakeIpPool pool = new FakeIpPool((Inet4Address) InetAddress.getByName("198.18.1.0"), (Inet4Address) InetAddress.getByName("198.19.255.254"),
                (Inet6Address) InetAddress.getByName("fd4e:5354:554e::1:0:0"), 96, 64);
        DnsEndpoint.Config dns = new DnsEndpoint.Config((Inet4Address) InetAddress.getByAddress(bytes(ROUTER4)),
                (Inet6Address) InetAddress.getByName("fd4e:5354:554e::2"), new DnsResolver(DnsResolver.Mode.FAKE_IP, pool, 1), query -> {
                    throw new IOException("no upstream here");
                }, sockets);
        MemoryDevice named = new MemoryDevice();
        NetStack own = new NetStack(named, new NetStack.Config(new RefusingDialer(), new NoEchoTransport(), UdpFlows.Config.defaults(),
                TcpFlows.Config.defaults(1500), EchoFlows.Config.defaults(List.of(InetAddress.getByAddress(bytes(ROUTER4)))), Optional.of(dns)),
                Executors.newVirtualThreadPerTaskExecutor()); // the resolver's TCP server waits on its socket in one
        try {
            own.begin(0);
            named.toReceive.add(udp(ROUTER4, 53, HexFormat.of().parseHex("ba1c01200001000000000000076578616d706c6503636f6d0000010001")));
            own.turn(0, true);
            assertEquals(1, named.transmitted.size(), "the fake answer");
            InetAddress fake = pool.addressFor("example.com", false);
            named.toReceive.add(udp(Ipv4Packet.toInt((Inet4Address) fake), 443, new byte[10]));
            own.turn(1 * MS, true);
            CompletableFuture<StackSnapshot> asked = own.snapshot();
            own.turn(2 * MS, false);

            StackSnapshot got = asked.getNow(null);
            assertEquals(1, got.flows().size(), "flows (dialing or refused, whichever the dial's thread made it): " + got.flows());
            assertEquals(fake, got.flows().get(0).id().destination(), "the fake destination");
            assertEquals(Optional.of("example.com"), got.flows().get(0).id().destinationName(), "the name it stands for");
            assertEquals(Map.of("ANSWERED_HERE", 1L, "FORWARDED", 0L, "SERVFAIL", 0L), got.dns(), "DNS answers");
        } finally {
            own.release();
        }
    }

    @Test
    void theLoopSendsTheAckItHoldsForAReplyBeforeItWaits() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            Dialer toServer = new Dialer() {
                @Override
                public UdpUpstream openUdp(FlowId flow) throws IOException {
                    throw new FlowRefusedException(flow + " refused");
                }

                @Override
                public SocketChannel connectTcp(FlowId flow) throws IOException {
                    return SocketChannel.open(server.getLocalAddress());
                }
            };
            MemoryDevice device = new MemoryDevice();
            NetStack own = new NetStack(device, new NetStack.Config(toServer, new NoEchoTransport(), UdpFlows.Config.defaults(),
                    TcpFlows.Config.defaults(1500), EchoFlows.Config.defaults(List.of(InetAddress.getByAddress(bytes(ROUTER4)))), Optional.empty()),
                    new InlineExecutor());
            try {
                own.begin(0);
                device.toReceive.add(commandSegment(TcpSegment.SYN, 0, 0, ""));
                own.turn(0, true);
                own.turn(0, false);
                TcpSegment synAck = tcpOf(device.transmitted.get(device.transmitted.size() - 1), new Ipv4Packet());
                assertTrue(synAck.syn() && synAck.ack(), "the SYN-ACK: " + synAck);
                try (SocketChannel upstream = server.accept()) {
                    // A command whose Nagle algorithm holds the rest of its request until the head is acknowledged.
                    device.toReceive.add(commandSegment(TcpSegment.ACK, 1, synAck.seqNumber() + 1, ""));
                    device.toReceive.add(commandSegment(TcpSegment.ACK | TcpSegment.PSH, 1, synAck.seqNumber() + 1, "POST / "));
                    own.turn(0, true);
                    int sent = device.transmitted.size();
                    upstream.read(ByteBuffer.allocate(64));

                    assertFalse(own.mayWait(), "may the loop wait while it holds an ACK");
                    own.turn(0, false);
                    assertEquals(sent + 1, device.transmitted.size(), "packets sent before the loop waits");
                    TcpSegment ack = tcpOf(device.transmitted.get(sent), new Ipv4Packet());
                    assertEquals(5000 + 1 + 7, ack.ackNumber(), "the ACK of the head, at the same time");
                    assertTrue(own.mayWait(), "nothing held: the loop may wait");
                }
            } finally {
                own.release();
            }
        }
    }

    @Test
    void countsWhatItDropsAndAnswersNothing() throws IOException {
        byte[] badVersion = ackToNowhere4(1, 0);
        badVersion[0] = 0x55;
        byte[] badHeaderChecksum = ackToNowhere4(1, 0);
        badHeaderChecksum[10] ^= 1;
        byte[] badTcpChecksum = ackToNowhere4(1, 0);
        badTcpChecksum[badTcpChecksum.length - 1] ^= 1;
        byte[] gre = ackToNowhere4(1, 0);
        Ipv4Packet p = new Ipv4Packet().wrap(ByteBuffer.wrap(gre), 0, gre.length);
        p.setProtocol(47);
        Checksum.fillIpv4Header(p);
        link.toReceive.addAll(List.of(badVersion, badHeaderChecksum, badTcpChecksum, gre));
        stack.turn(0, true);

        assertEquals(0, link.transmitted.size(), "packets out");
        assertEquals(Map.of("IP_BAD_VERSION", 1L, "IPV4_BAD_HEADER_CHECKSUM", 1L, "TCP_BAD_CHECKSUM", 1L, "NOT_RELAYED", 1L),
                stack.counters().snapshot(), "drops");
    }

    @Test
    void takesADatagramWhoseChecksumTheKernelLeftUnfinishedFromALinkThatOffloadsOnly() throws IOException {
        builder.partialChecksums(true);
        byte[] unfinished = udpToServer(53, 12);
        builder.partialChecksums(false);

        link.toReceive.add(unfinished);
        stack.turn(0, true);
        assertEquals(Map.of("UDP_BAD_CHECKSUM", 1L), stack.counters().snapshot(), "drops where the link does not offload");

        MemoryDevice memory = new MemoryDevice();
        NetStack offloaded = begun(new ForwardingDevice(memory) {
            @Override
            public boolean enableOffload() {
                return true;
            }

            @Override
            public boolean receivedPartialChecksum() {
                return true;
            }
        });
        try {
            memory.toReceive.add(unfinished);
            offloaded.turn(0, true);
            offloaded.turn(0, true); // the dial's refusal reaches the loop's next turn
            assertFalse(offloaded.counters().snapshot().containsKey("UDP_BAD_CHECKSUM"), "drops: " + offloaded.counters().snapshot());
            assertEquals(1, memory.transmitted.size(), "the refused flow's answer: the datagram reached its flow");
        } finally {
            offloaded.release();
        }
    }

    @Test
    void reassemblesFragmentsArrivingOverTwoTurnsInReverse() throws IOException {
        byte[][] halves = fragments(ackToNowhere4(7777, 100));
        link.toReceive.add(halves[1]);
        stack.turn(0, true);
        assertEquals(0, link.transmitted.size(), "nothing answers half a datagram");
        link.toReceive.add(halves[0]);
        stack.turn(5 * MS, true);

        assertEquals(1, link.transmitted.size(), "packets out");
        TcpSegment rst = tcpOf(link.transmitted.get(0), new Ipv4Packet());
        assertEquals(7777, rst.seqNumber(), "RST seq: got " + rst.seqNumber() + ", want 7777 (the whole segment arrived)");
        assertEquals(Map.of(), stack.counters().snapshot(), "drops");
    }

    @Test
    void dropsAnUnfinishedDatagramAfterItsTimeout() throws IOException {
        link.toReceive.add(fragments(ackToNowhere4(1, 100))[0]);
        stack.turn(0, true);
        stack.turn(29_500 * MS, true);
        assertEquals(Map.of(), stack.counters().snapshot(), "drops within the 30 s");
        stack.turn(31_000 * MS, true);
        assertEquals(Map.of("REASSEMBLY_TIMEOUT", 1L), stack.counters().snapshot(), "drops after them");
        assertEquals(0, link.transmitted.size(), "packets out");
    }

    @Test
    void readsAtMostASendBufferOfBytesPerTurnSoTheOtherDirectionGetsItsTurn() throws IOException {
        // 40 packets of 64,000 bytes (a protocol not relayed: each is counted and dropped); the send buffer is 1 MiB.
        for (int i = 0; i < 40; i++) link.toReceive.add(notRelayed(64_000));
        stack.turn(0, true);
        assertEquals(17, stack.packetsIn(), "packets read in one turn: 1 MiB and the packet that crossed it");
        stack.turn(1 * MS, true);
        assertEquals(34, stack.packetsIn(), "after the second turn");
        stack.turn(2 * MS, true);
        assertEquals(40, stack.packetsIn(), "after the third");
    }

    @Test
    void readsAtMost256SmallPacketsPerTurn() throws IOException {
        for (int i = 0; i < 300; i++) link.toReceive.add(notRelayed(100));
        stack.turn(0, true);
        assertEquals(256, stack.packetsIn(), "packets read in one turn");
        stack.turn(1 * MS, true);
        assertEquals(300, stack.packetsIn(), "after the second");
        assertEquals(Map.of("NOT_RELAYED", 300L), stack.counters().snapshot(), "drops");
    }

    @Test
    void waitsOnTheDeviceThroughItsReadinessChannelWhenItHasOne() throws IOException {
        SignallingDevice signalling = new SignallingDevice();
        NetStack own = new NetStack(signalling, new NetStack.Config(new RefusingDialer(), new NoEchoTransport(), UdpFlows.Config.defaults(),
                TcpFlows.Config.defaults(1500), EchoFlows.Config.defaults(List.of(InetAddress.getByAddress(bytes(ROUTER4)))), Optional.empty()),
                new InlineExecutor());
        try {
            own.begin(0);
            own.turn(0, false);
            assertEquals(0, own.packetsIn(), "nothing waits");
            signalling.queue(echoRequestToRouter());
            own.turn(1 * MS, false);
            assertEquals(1, own.packetsIn(), "the readiness channel said a packet waits: read with no watcher's word");
            assertEquals(1, signalling.memory.transmitted.size(), "its answer");
            for (int i = 0; i < 300; i++) signalling.queue(notRelayed(100));
            own.turn(2 * MS, false);
            assertEquals(257, own.packetsIn(), "one turn's budget");
            own.turn(3 * MS, false);
            assertEquals(301, own.packetsIn(), "the rest, on the next turn");
            own.turn(4 * MS, false);
            assertEquals(301, own.packetsIn(), "nothing more");
        } finally {
            own.release();
            signalling.close();
        }
    }

    /** An IPv4 packet of {@code length} bytes of a protocol the stack does not relay (GRE). */
    private byte[] notRelayed(int length) {
        byte[] packet = new byte[length];
        Ipv4Packet p = new Ipv4Packet().wrap(ByteBuffer.wrap(packet), 0, length);
        p.setVersionAndHeaderLength(Ipv4Packet.HEADER_LENGTH);
        p.setTotalLength(length);
        p.setFlagsAndFragmentOffset(true, false, 0);
        p.setTtl(64);
        p.setProtocol(47);
        p.setSource(COMMAND4);
        p.setDestination(SERVER4);
        Checksum.fillIpv4Header(p);
        return packet;
    }

    /** A UDP datagram from the command's port 40000 to {@code destination}:{@code port} carrying {@code payload}. */
    private byte[] udp(int destination, int port, byte[] payload) {
        ByteBuffer buf = ByteBuffer.allocate(1500);
        builder.ipv4(COMMAND4, destination);
        buf.put(builder.udpPayloadOffset(), payload);
        return copy(buf, builder.udp(buf, 0, 40000, port, payload.length));
    }

    /** A UDP datagram from the command's port 40000 to the server's {@code port} with {@code payload} bytes. */
    private byte[] udpToServer(int port, int payload) {
        ByteBuffer buf = ByteBuffer.allocate(1500);
        builder.ipv4(COMMAND4, SERVER4);
        return copy(buf, builder.udp(buf, 0, 40000, port, payload));
    }

    /** An ACK from the command to a server it has no connection with, with {@code payload} bytes. */
    private byte[] ackToNowhere4(int ack, int payload) {
        ByteBuffer buf = ByteBuffer.allocate(1500);
        builder.ipv4(COMMAND4, SERVER4).dontFragment(false);
        int n = builder.tcp(buf, 0, new TcpFields().sourcePort(40000).destinationPort(80).seq(5000).ack(ack)
                .flags(TcpSegment.ACK).window(1000).payloadLength(payload));
        return copy(buf, n);
    }

    /** A segment of the command's connection from port 40000 to the server's port 80, {@code offset} bytes past its ISN 5000. */
    private byte[] commandSegment(int flags, int offset, int ack, String payload) {
        ByteBuffer buf = ByteBuffer.allocate(1500);
        byte[] p = payload.getBytes(StandardCharsets.US_ASCII);
        builder.ipv4(COMMAND4, SERVER4);
        buf.put(builder.tcpPayloadOffset(0), p);
        TcpFields fields = new TcpFields().sourcePort(40000).destinationPort(80).seq(5000 + offset).ack(ack).flags(flags).window(65535)
                .payloadLength(p.length);
        int n = (flags & TcpSegment.SYN) != 0 ? builder.tcp(buf, 0, fields, new TcpOptions(1460, -1, false, false, 0, 0)) : builder.tcp(buf, 0, fields);
        return copy(buf, n);
    }

    private byte[] ackToNowhere6() {
        ByteBuffer buf = ByteBuffer.allocate(1500);
        int n = builder.ipv6(PREFIX6, 1, 0x2001_0db8_0000_0000L, 7).tcp(buf, 0, new TcpFields().sourcePort(40000)
                .destinationPort(80).seq(5000).ack(1).flags(TcpSegment.ACK).window(1000));
        return copy(buf, n);
    }

    private byte[] echoRequestToRouter() {
        ByteBuffer buf = ByteBuffer.allocate(1500);
        int n = builder.ipv4(COMMAND4, ROUTER4).icmpEcho(buf, 0, true, 7, 1, 0);
        return copy(buf, n);
    }

    /** Splits an IPv4 packet in two fragments: the first carries 56 bytes of the payload (a multiple of 8). */
    private static byte[][] fragments(byte[] whole) {
        Ipv4Packet ip = new Ipv4Packet().wrap(ByteBuffer.wrap(whole), 0, whole.length);
        int header = ip.payloadOffset();
        int firstData = 56;
        byte[] first = new byte[header + firstData];
        byte[] second = new byte[whole.length - firstData];
        System.arraycopy(whole, 0, first, 0, header + firstData);
        System.arraycopy(whole, 0, second, 0, header);
        System.arraycopy(whole, header + firstData, second, header, whole.length - header - firstData);
        fragmentHeader(first, true, 0);
        fragmentHeader(second, false, firstData);
        return new byte[][] {first, second};
    }

    private static void fragmentHeader(byte[] packet, boolean more, int offset) {
        Ipv4Packet p = new Ipv4Packet().wrap(ByteBuffer.wrap(packet), 0, packet.length);
        p.setTotalLength(packet.length);
        p.setFlagsAndFragmentOffset(false, more, offset);
        Checksum.fillIpv4Header(p);
    }

    private static TcpSegment tcpOf(byte[] packet, IpPacket ip) {
        ByteBuffer buf = ByteBuffer.wrap(packet);
        assertNull(ip instanceof Ipv4Packet p4 ? p4.wrapChecked(buf, 0, packet.length) : ((Ipv6Packet) ip).wrapChecked(buf, 0, packet.length),
                "a sound IP packet");
        TcpSegment tcp = new TcpSegment();
        assertNull(tcp.wrapChecked(buf, ip.payloadOffset(), ip.payloadLength()), "a sound TCP segment");
        assertTrue(Checksum.verifyTcp(ip, tcp), "TCP checksum");
        return tcp;
    }

    private static byte[] copy(ByteBuffer buf, int length) {
        byte[] b = new byte[length];
        buf.get(0, b);
        return b;
    }

    private static byte[] bytes(int address) {
        return ByteBuffer.allocate(4).putInt(address).array();
    }

    /** Runs each dial at once, on the loop's (the test's) thread: its result reaches the loop's next turn. */
    static final class InlineExecutor extends AbstractExecutorService {
        private boolean shutdown;

        @Override
        public void execute(Runnable command) {
            command.run();
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown = true;
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return shutdown;
        }

        @Override
        public boolean isTerminated() {
            return shutdown;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return shutdown;
        }
    }

    /**
     * The in-memory link with a readiness channel: a pipe that holds a byte while packets wait, as the
     * TUN's channel is readable while it holds packets.
     */
    static final class SignallingDevice extends ForwardingDevice {
        final MemoryDevice memory;
        private final Pipe pipe;

        SignallingDevice() throws IOException {
            this(new MemoryDevice());
        }

        private SignallingDevice(MemoryDevice memory) throws IOException {
            super(memory);
            this.memory = memory;
            this.pipe = Pipe.open();
            pipe.source().configureBlocking(false);
        }

        void queue(byte[] packet) throws IOException {
            if (memory.toReceive.isEmpty()) pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
            memory.toReceive.add(packet);
        }

        @Override
        public int receive(ByteBuffer dst) throws IOException {
            int n = super.receive(dst);
            if (memory.toReceive.isEmpty() && n > 0) pipe.source().read(ByteBuffer.allocate(1));
            return n;
        }

        @Override
        public Optional<SelectableChannel> readiness() {
            return Optional.of(pipe.source());
        }

        @Override
        public void close() throws IOException {
            pipe.sink().close();
            pipe.source().close();
        }
    }

    /** A policy that refuses every flow. */
    static final class RefusingDialer implements Dialer {
        @Override
        public UdpUpstream openUdp(FlowId flow) throws IOException {
            throw new FlowRefusedException(flow + " refused");
        }

        @Override
        public SocketChannel connectTcp(FlowId flow) throws IOException {
            throw new FlowRefusedException(flow + " refused");
        }
    }

    /** Echo requests to anywhere but nstun's own addresses go nowhere. */
    static final class NoEchoTransport implements EchoTransport {
        @Override
        public Channel open(InetAddress destination, Replies replies) throws IOException {
            throw new IOException("no ICMP here");
        }
    }
}
