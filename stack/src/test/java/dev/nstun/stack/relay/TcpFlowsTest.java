package dev.nstun.stack.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.PacketOutput;
import dev.nstun.stack.StackCounters;
import dev.nstun.stack.flow.DialException;
import dev.nstun.stack.flow.DialFailure;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowSnapshot;
import dev.nstun.stack.flow.PendingConnect;
import dev.nstun.stack.flow.UpstreamHandshake;
import dev.nstun.stack.flow.UdpUpstream;
import dev.nstun.stack.tcp.BufferMemory;
import dev.nstun.stack.tcp.TcpConfig;
import dev.nstun.stack.wire.Checksum;
import dev.nstun.stack.wire.IcmpV4Message;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.PacketBuilder;
import dev.nstun.stack.wire.TcpFields;
import dev.nstun.stack.wire.TcpOptions;
import dev.nstun.stack.wire.TcpSegment;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay between a connection and a real upstream socket on the loopback: the command's side is
 * played with packets built here, time is passed in, dials run at once on the test's thread.
 */
class TcpFlowsTest {
    private static final int COMMAND = 0xc6120001;
    private static final int SERVER = 0xc6120002;
    private static final int COMMAND_PORT = 40000;
    private static final int COMMAND_ISN = 1000;
    private static final long MS = 1_000_000L;

    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final List<ByteBuffer> sent = new ArrayList<>();
    private final List<SocketChannel> dialed = new ArrayList<>();
    private final ByteBuffer out = ByteBuffer.allocateDirect(65535);
    private final ByteBuffer in = ByteBuffer.allocateDirect(65535);
    private final PacketBuilder builder = new PacketBuilder();
    private ServerSocketChannel server;
    private Dialer dialer;
    private PacketOutput output;
    private TcpSegment synAck;
    private DialFailure dialFailure;
    private int dials;
    /** What {@link Dialer#tcpClosed} was told, one entry per flow. */
    private final List<String> ended = new ArrayList<>();
    /** Where {@link Dialer#startTcp} connects, on the loop; null: dials block, on the executor. */
    private InetSocketAddress connectOnLoop;
    /** Connects started on the loop never complete (a destination that does not answer). */
    private boolean connectsNeverComplete;
    /** SO_SNDBUF of the upstream channels the dialer opens; 0: the kernel's default. */
    private int upstreamSendBuffer;
    /** Connects started on the loop have ended in the kernel (as to a local peer) before the dialer returns them. */
    private boolean connectsEndBeforeReturn;
    /** The connect-timeout of connects started on the loop; null: none. */
    private Duration loopConnectTimeout;
    /** Whether connects started on the loop run {@link #greeting} once connected. */
    private boolean loopGreeting;
    /** Where the fallback of connects started on the loop connects next, in turn; empty: it has none left. */
    private final List<InetSocketAddress> loopFallbacks = new ArrayList<>();
    /** What the fallback of connects started on the loop was told, one entry per connect it was asked to follow. */
    private final List<IOException> fallbackFailures = new ArrayList<>();
    /** What the failure mapping of connects started on the loop was asked about. */
    private final List<IOException> loopFailures = new ArrayList<>();
    private Selector selector;
    private TcpFlows flows;
    private int ourIsn;

    @BeforeEach
    void setUp() throws IOException {
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        selector = Selector.open();
        dialer = new Dialer() {
            @Override
            public UdpUpstream openUdp(FlowId flow) throws IOException {
                throw new IOException("no UDP here");
            }

            @Override
            public SocketChannel connectTcp(FlowId flow) throws IOException {
                dials++;
                if (dialFailure != null) throw new DialException(dialFailure, "test: " + dialFailure);
                SocketChannel ch = SocketChannel.open();
                if (upstreamSendBuffer > 0) ch.setOption(StandardSocketOptions.SO_SNDBUF, upstreamSendBuffer);
                ch.connect(server.getLocalAddress());
                dialed.add(ch);
                return ch;
            }

            @Override
            public void tcpClosed(FlowId flow, long bytesToUpstream, long bytesFromUpstream) {
                ended.add(bytesToUpstream + " up, " + bytesFromUpstream + " down");
            }

            @Override
            public Optional<PendingConnect> startTcp(FlowId flow) throws IOException {
                if (connectOnLoop == null && !connectsNeverComplete) return Optional.empty();
                dials++;
                SocketChannel ch = SocketChannel.open();
                ch.configureBlocking(false);
                if (!connectsNeverComplete) ch.connect(connectOnLoop);
                if (connectsEndBeforeReturn) awaitConnectable(ch);
                dialed.add(ch);
                return Optional.of(new PendingConnect(ch, e -> {
                    loopFailures.add(e);
                    return new DialException(e instanceof SocketTimeoutException ? DialFailure.TIMED_OUT : DialFailure.REFUSED, "test: " + e);
                }, Optional.ofNullable(loopConnectTimeout), loopGreeting ? Optional.of(greeting(ch)) : Optional.empty(),
                        Optional.of(e -> {
                            fallbackFailures.add(e);
                            if (loopFallbacks.isEmpty()) return Optional.empty();
                            SocketChannel next = SocketChannel.open();
                            next.configureBlocking(false);
                            next.connect(loopFallbacks.remove(0));
                            dialed.add(next);
                            return Optional.of(next);
                        })));
            }
        };
        output = new PacketOutput() {
            @Override
            public ByteBuffer buffer() {
                return out;
            }

            @Override
            public void send(int length) {
                ByteBuffer copy = ByteBuffer.allocate(length);
                copy.put(0, out, 0, length);
                sent.add(copy);
            }
        };
        TcpFlows.Config config = new TcpFlows.Config(TcpConfig.defaults(1500).withKeepalive(0, 0, 0), 16, 64, 1 << 20);
        flows = new TcpFlows(dialer, selector, Runnable::run, tasks::add, output, new StackCounters(), config);
    }

    @AfterEach
    void tearDown() throws IOException {
        flows.closeAll();
        assertEquals(0, flows.bufferMemoryUsed(), "buffer memory left");
        selector.close();
        server.close();
    }

    @Test
    void upstreamCloseRightBehindTheDataGoesAsOneSegmentWithFin() throws IOException {
        SocketChannel accepted = handshake(0);
        command(10, TcpSegment.ACK | TcpSegment.PSH, 1, "GET /");
        assertEquals("GET /", readAll(accepted, 5));

        accepted.write(ByteBuffer.wrap("HTTP/1.0 200 OK\r\n\r\nbye".getBytes(StandardCharsets.US_ASCII)));
        accepted.close();
        upstreamReadable(20);

        TcpSegment last = lastSent();
        assertEquals(TcpSegment.ACK | TcpSegment.PSH | TcpSegment.FIN, last.flags(), "flags of the answer");
        assertEquals("HTTP/1.0 200 OK\r\n\r\nbye", payload(last), "payload of the answer");
    }

    @Test
    void theRequestsAckRidesOnTheAnswerReadInTheNextTurn() throws IOException {
        SocketChannel accepted = handshake(0);
        int before = sent.size();
        command(10, TcpSegment.ACK | TcpSegment.PSH, 1, "GET /");
        assertEquals(before, sent.size(), "segments sent for the request: its ACK waits for the answer");
        assertEquals("GET /", readAll(accepted, 5));

        accepted.write(ByteBuffer.wrap("HTTP/1.0 200 OK\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        upstreamReadable(11);
        assertEquals(before + 1, sent.size(), "segments sent: the answer alone");
        assertEquals(COMMAND_ISN + 1 + 5, lastSent().ackNumber(), "the answer acknowledges the request");
    }

    @Test
    void aNagleSenderGetsTheAckOfItsFirstSegmentBeforeTheLoopWaits() throws IOException {
        SocketChannel accepted = handshake(0);
        int before = sent.size();
        // The command's Nagle algorithm sends the head of its request and holds the rest until that is acknowledged.
        command(10, TcpSegment.ACK | TcpSegment.PSH, 1, "POST / ");
        assertEquals("POST / ", readAll(accepted, 7));
        assertEquals(before, sent.size(), "segments sent while the loop has work");

        // The upstream waits for the rest, so no answer comes: the loop would wait, and the ACK goes first, at the same time.
        assertTrue(flows.releaseAcks(), "an ACK was held");
        flows.service(10 * MS);
        assertEquals(before + 1, sent.size(), "segments sent before the loop waits");
        assertEquals(COMMAND_ISN + 1 + 7, lastSent().ackNumber(), "the ACK of the head");
        assertFalse(flows.releaseAcks(), "nothing held any more: the loop may wait");

        command(10, TcpSegment.ACK | TcpSegment.PSH, 8, "HTTP/1.0\r\n\r\n");
        assertEquals("HTTP/1.0\r\n\r\n", readAll(accepted, 12));
    }

    @Test
    void aNaglePastTheQuickAcksGetsItsDelayedAckBeforeTheLoopWaits() throws IOException {
        SocketChannel accepted = handshake(0);
        // Sixteen requests spend the quick ACKs (each acknowledged before the loop waits).
        for (int i = 0; i < 16; i++) {
            command(10, TcpSegment.ACK | TcpSegment.PSH, 1 + i, "x");
            flows.releaseAcks();
            flows.service(10 * MS);
        }
        assertEquals("x".repeat(16), readAll(accepted, 16));
        int before = sent.size();
        command(20, TcpSegment.ACK | TcpSegment.PSH, 17, "POST / ");
        assertEquals("POST / ", readAll(accepted, 7));
        assertEquals(before, sent.size(), "segments sent while the loop has work: the ACK is delayed");

        assertTrue(flows.releaseAcks(), "a delayed ACK waits");
        flows.service(20 * MS);
        assertEquals(before + 1, sent.size(), "segments sent before the loop waits");
        assertEquals(COMMAND_ISN + 17 + 7, lastSent().ackNumber(), "the ACK of the head, at once rather than 40 ms later");
    }

    @Test
    void aHeldAckGoesWithTheLoopsNextTurnWhenTheLoopNeverWaits() throws IOException {
        SocketChannel accepted = handshake(0);
        int before = sent.size();
        command(10, TcpSegment.ACK | TcpSegment.PSH, 1, "POST / ");
        assertEquals("POST / ", readAll(accepted, 7));
        flows.service(10 * MS);
        assertEquals(before, sent.size(), "segments sent in the request's turn");

        flows.tick(10 * MS + 1);
        flows.service(10 * MS + 1);
        assertEquals(before + 1, sent.size(), "segments sent in the next turn");
        assertEquals(COMMAND_ISN + 1 + 7, lastSent().ackNumber(), "the ACK of the head");
    }

    @Test
    void upstreamSocketGoesOnceBothWaysAreDoneThoughTimeWaitLasts() throws IOException {
        SocketChannel accepted = handshake(0);
        accepted.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
        accepted.close();
        upstreamReadable(10);
        assertTrue(lastSent().fin(), "FIN with the data");

        // The command acknowledges data and FIN, then closes its side: we are in TIME-WAIT.
        command(20, TcpSegment.ACK | TcpSegment.FIN, 1, "", ourIsn + 1 + 5 + 1);
        assertFalse(dialed.get(0).isOpen(), "the upstream socket is closed in TIME-WAIT");
        assertEquals(1, flows.size(), "the flow stays for TIME-WAIT");

        assertEquals(0, flows.bufferMemoryUsed(), "buffer memory in TIME-WAIT");

        flows.tick(1100 * MS);
        flows.service(1100 * MS);
        assertEquals(0, flows.size(), "the flow is gone after TIME-WAIT");
    }

    @Test
    void theUpstreamLeavesTheSelectorOnceItsEofIsInAndItsCloseSendsAFin() throws IOException {
        SocketChannel accepted = handshake(0);
        accepted.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
        accepted.shutdownOutput();
        upstreamReadable(10);
        assertTrue(lastSent().fin(), "FIN with the data");
        selector.selectNow();
        assertEquals(Set.of(), selector.keys(), "keys on the selector once the upstream's EOF is in");

        command(20, TcpSegment.ACK | TcpSegment.FIN, 1, "", ourIsn + 1 + 5 + 1);
        assertFalse(dialed.get(0).isOpen(), "the upstream socket is closed");
        assertEquals(-1, accepted.read(ByteBuffer.allocate(1)), "the upstream's peer reads EOF (a FIN, not a reset)");
    }

    @Test
    void bytesThatFillTheUpstreamAfterItsEofWaitForItToBeWritableAgain() throws IOException {
        upstreamSendBuffer = 4096;
        server.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
        SocketChannel accepted = handshake(0);
        accepted.shutdownOutput();
        upstreamReadable(10);
        selector.selectNow();
        assertEquals(Set.of(), selector.keys(), "keys once the upstream's EOF is in");

        // 60,000 bytes in the command's window (65,535 without scaling): more than the socket buffers take.
        int sent = 0;
        String chunk = "x".repeat(1000);
        for (int i = 0; i < 60; i++, sent += chunk.length()) command(20, TcpSegment.ACK, 1 + sent, chunk, ourIsn + 1 + 1);
        assertEquals(List.of(SelectionKey.OP_WRITE), selector.keys().stream().map(SelectionKey::interestOps).toList(),
                "the upstream registered anew, for OP_WRITE");

        accepted.configureBlocking(false);
        ByteBuffer got = ByteBuffer.allocate(sent + 1);
        for (int turns = 0; got.position() < sent && turns < 10_000; turns++) {
            accepted.read(got);
            if (selector.selectNow() > 0) {
                flows.tick(30 * MS);
                for (SelectionKey key : selector.selectedKeys()) flows.onWritable(key);
                selector.selectedKeys().clear();
            }
            flows.service(30 * MS);
        }
        assertEquals(sent, got.position(), "bytes the upstream's peer read");
    }

    @Test
    void theCommandsBytesGoUpstreamStraightFromThePacketWithoutBufferMemory() throws IOException {
        SocketChannel accepted = handshake(0);
        in.limit(60_000).position(3);
        command(10, TcpSegment.ACK | TcpSegment.PSH, 1, "GET /");
        assertEquals(3, in.position(), "the packet buffer's position, put back");
        assertEquals(60_000, in.limit(), "the packet buffer's limit, put back");
        assertEquals(0, flows.bufferMemoryUsed(), "bytes the connection's buffers took");
        assertEquals("GET /", readAll(accepted, 5));
    }

    @Test
    void theDialerHearsOfAFlowsEndOnceWithTheBytesRelayedEachWay() throws IOException {
        SocketChannel accepted = handshake(0);
        command(10, TcpSegment.ACK | TcpSegment.PSH, 1, "GET /");
        assertEquals("GET /", readAll(accepted, 5));
        accepted.write(ByteBuffer.wrap("hello, world".getBytes(StandardCharsets.US_ASCII)));
        accepted.close();
        upstreamReadable(20);
        command(30, TcpSegment.ACK | TcpSegment.FIN, 1 + 5, "", ourIsn + 1 + 12 + 1);
        assertEquals(List.of(), ended, "nothing while the flow lasts (TIME-WAIT)");

        flows.tick(2000 * MS);
        flows.service(2000 * MS);
        assertEquals(0, flows.size(), "the flow is gone");
        flows.closeAll();
        assertEquals(List.of("5 up, 12 down"), ended);
    }

    @Test
    void aSnapshotShowsEachLiveFlowWithItsStateBytesEachWayAndAge() throws IOException {
        dialFailure = DialFailure.DROPPED;
        synTo(0, 81);
        dialFailure = null;
        SocketChannel accepted = handshake(100);
        command(110, TcpSegment.ACK | TcpSegment.PSH, 1, "GET /");
        assertEquals("GET /", readAll(accepted, 5));
        accepted.write(ByteBuffer.wrap("hello, world".getBytes(StandardCharsets.US_ASCII)));
        upstreamReadable(120);

        List<FlowSnapshot> got = new ArrayList<>();
        flows.snapshot(1100 * MS, got);
        got.sort(Comparator.comparingInt(f -> f.id().destinationPort()));
        assertEquals(2, got.size(), "flows: " + got);
        FlowSnapshot web = got.get(0);
        assertEquals(new FlowId(FlowId.Protocol.TCP, address(COMMAND), COMMAND_PORT, address(SERVER), 80), web.id(), "id");
        assertEquals("ESTABLISHED", web.state(), "state");
        assertEquals(5, web.bytesToUpstream(), "bytes up: got " + web.bytesToUpstream() + ", want 5");
        assertEquals(12, web.bytesFromUpstream(), "bytes down: got " + web.bytesFromUpstream() + ", want 12");
        assertEquals(1000 * MS, web.ageNanos(), "age: since its SYN at 100 ms");
        FlowSnapshot dropped = got.get(1);
        assertEquals("DROPPED", dropped.state(), "a dropped flow's state");
        assertEquals(0, dropped.bytesToUpstream() + dropped.bytesFromUpstream(), "a dropped flow's bytes");
        assertEquals(1100 * MS, dropped.ageNanos(), "its age");
    }

    @Test
    void aFlowStillOpenAtTheEndIsToldToo() throws IOException {
        SocketChannel accepted = handshake(0);
        command(10, TcpSegment.ACK | TcpSegment.PSH, 1, "abc");
        assertEquals("abc", readAll(accepted, 3));
        flows.closeAll();
        assertEquals(List.of("3 up, 0 down"), ended);
    }

    @Test
    void aRefusedDialIsNotToldAsAnEnd() {
        dialFailure = DialFailure.REFUSED;
        syn(0);
        flows.closeAll();
        assertEquals(List.of(), ended);
    }

    @Test
    void withTheBufferMemoryUsedUpBothDirectionsStillMoveOnTheGuaranteedMinimum() throws IOException {
        flows.closeAll();
        flows = new TcpFlows(dialer, selector, Runnable::run, tasks::add, output,
                new StackCounters(), new TcpFlows.Config(TcpConfig.defaults(1500).withKeepalive(0, 0, 0), 16, 64, 1));
        SocketChannel accepted = handshake(0);
        assertEquals(BufferMemory.GUARANTEED, synAck.window(), "window of the SYN-ACK with no memory left");

        String request = "x".repeat(3000);
        command(1, TcpSegment.ACK | TcpSegment.PSH, 1, request);
        assertEquals(request, readAll(accepted, request.length()), "the request upstream");

        byte[] body = new byte[200_000];
        new Random(7).nextBytes(body);
        accepted.write(ByteBuffer.wrap(body));
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int seen = sent.size();
        for (int round = 0; round < 1000 && got.size() < body.length; round++) {
            selector.selectNow();
            flows.tick((10 + round) * MS);
            for (SelectionKey key : selector.selectedKeys()) flows.onReadable(key);
            selector.selectedKeys().clear();
            flows.service((10 + round) * MS);
            for (; seen < sent.size(); seen++) {
                TcpSegment t = segment(sent.get(seen));
                byte[] b = new byte[t.payloadLength()];
                t.buffer().get(t.payloadOffset(), b);
                got.writeBytes(b);
            }
            command(10 + round, TcpSegment.ACK, 1 + request.length(), ""); // the command reads and acknowledges all
        }
        assertArrayEquals(body, got.toByteArray(), "body through the relay: got " + got.size() + " of " + body.length + " bytes");
    }

    @Test
    void aConnectStartedOnTheLoopIsAnsweredWhenItCompletesAndThenRelays() throws IOException {
        connectOnLoop = (InetSocketAddress) server.getLocalAddress();
        syn(0);
        untilAnswered(1);
        synAck = lastSent();
        assertTrue(synAck.syn() && synAck.ack(), "SYN-ACK once the upstream is connected: " + synAck);
        assertEquals(1, dials, "dials");
        assertTrue(tasks.isEmpty(), "no dial went to a thread");
        SocketChannel accepted = ackSynAck(2);
        command(3, TcpSegment.ACK | TcpSegment.PSH, 1, "GET /");
        assertEquals("GET /", readAll(accepted, 5), "relayed upstream");
    }

    @Test
    void aConnectTheKernelHasCompletedWhenTheDialerReturnsIsAnsweredInTheSynsOwnTurn() throws IOException {
        connectOnLoop = (InetSocketAddress) server.getLocalAddress();
        connectsEndBeforeReturn = true;
        syn(0);
        assertEquals(1, sent.size(), "segments sent in the SYN's turn, with no select in between");
        synAck = lastSent();
        assertTrue(synAck.syn() && synAck.ack(), "SYN-ACK: " + synAck);
        assertEquals(List.of(SelectionKey.OP_READ), selector.keys().stream().map(SelectionKey::interestOps).toList(),
                "the upstream waits for data only, never for OP_CONNECT");
        SocketChannel accepted = ackSynAck(1);
        command(2, TcpSegment.ACK | TcpSegment.PSH, 1, "GET /");
        assertEquals("GET /", readAll(accepted, 5), "relayed upstream");
    }

    @Test
    void aConnectTheKernelHasRefusedWhenTheDialerReturnsIsAnsweredWithResetInTheSynsOwnTurn() throws IOException {
        ServerSocketChannel closed = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        connectOnLoop = (InetSocketAddress) closed.getLocalAddress();
        closed.close();
        connectsEndBeforeReturn = true;
        syn(0);
        assertEquals(1, sent.size(), "segments sent in the SYN's turn");
        TcpSegment rst = lastSent();
        assertTrue(rst.rst() && rst.ack(), "RST|ACK for a refused connect: " + rst);
        assertEquals(1, loopFailures.size(), "the dialer's mapping asked once");
        assertEquals(0, flows.size(), "flows left");
        assertFalse(dialed.get(0).isOpen(), "the upstream channel is closed");
    }

    @Test
    void aConnectRefusedOnTheLoopIsAnsweredWithReset() throws IOException {
        ServerSocketChannel closed = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        connectOnLoop = (InetSocketAddress) closed.getLocalAddress();
        closed.close();
        syn(0);
        untilAnswered(1);
        TcpSegment rst = lastSent();
        assertTrue(rst.rst() && rst.ack(), "RST|ACK for a refused connect: " + rst);
        assertEquals(0, flows.size(), "flows left");
        assertFalse(dialed.get(0).isOpen(), "the upstream channel is closed");
    }

    @Test
    void aConnectRefusedOnTheLoopGoesOnWithItsFallbacksConnectsAndIsAnsweredWhenOneConnects() throws IOException {
        connectOnLoop = closedPort();
        loopFallbacks.addAll(List.of(closedPort(), (InetSocketAddress) server.getLocalAddress()));
        syn(0);
        untilAnswered(1);
        synAck = lastSent();
        assertTrue(synAck.syn() && synAck.ack(), "SYN-ACK once the third connect is up: " + synAck);
        assertEquals(2, fallbackFailures.size(), "the fallback asked after each refusal");
        assertTrue(fallbackFailures.stream().allMatch(e -> e instanceof ConnectException), "told the refusals: " + fallbackFailures);
        assertEquals(List.of(), loopFailures, "the failure mapping is not asked");
        assertEquals(List.of(false, false, true), dialed.stream().map(SocketChannel::isOpen).toList(), "the refused channels are closed");
        assertTrue(tasks.isEmpty(), "no dial went to a thread");
        SocketChannel accepted = ackSynAck(2);
        command(3, TcpSegment.ACK | TcpSegment.PSH, 1, "GET /");
        assertEquals("GET /", readAll(accepted, 5), "relayed upstream on the fallback's channel");
    }

    @Test
    void aConnectWhoseFallbackHasNoneLeftIsAnsweredWithTheLastRefusal() throws IOException {
        connectOnLoop = closedPort();
        loopFallbacks.add(closedPort());
        syn(0);
        untilAnswered(1);
        TcpSegment rst = lastSent();
        assertTrue(rst.rst() && rst.ack(), "RST|ACK for the refusal: " + rst);
        assertEquals(2, fallbackFailures.size(), "the fallback asked after each refusal");
        assertEquals(List.of(fallbackFailures.get(1)), loopFailures, "the mapping asked about the last refusal");
        assertEquals(0, flows.size(), "flows left");
        assertEquals(List.of(false, false), dialed.stream().map(SocketChannel::isOpen).toList(), "the upstream channels are closed");
    }

    /** A loopback address where nothing listens. */
    private static InetSocketAddress closedPort() throws IOException {
        try (ServerSocketChannel closed = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return (InetSocketAddress) closed.getLocalAddress();
        }
    }

    @Test
    void aConnectOnTheLoopThatOutlastsItsTimeoutIsAnsweredWithHostUnreachable() {
        connectsNeverComplete = true;
        loopConnectTimeout = Duration.ofSeconds(10);
        syn(0);
        syn(1_000); // the command's SYN retries wait for the same dial
        flows.tick(9_999 * MS);
        flows.service(9_999 * MS);
        assertEquals(List.of(), sent, "packets sent to the command before the connect-timeout");
        assertEquals(1, dials, "dials");
        assertEquals(10_000 * MS, flows.nextDeadline(), "a timer at the connect-timeout");

        flows.tick(10_000 * MS);
        flows.service(10_000 * MS);
        assertIcmp(IcmpV4Message.CODE_HOST_UNREACHABLE);
        assertEquals(1, loopFailures.size(), "the dialer's mapping asked once");
        assertEquals(SocketTimeoutException.class, loopFailures.get(0).getClass(), "asked about");
        assertEquals(0, flows.size(), "flows left");
        assertFalse(dialed.get(0).isOpen(), "the upstream channel is closed");
    }

    @Test
    void aHandshakeOnTheLoopRunsBeforeTheSynIsAnsweredAndLeavesTheBytesAfterItToTheFlow() throws IOException {
        connectOnLoop = (InetSocketAddress) server.getLocalAddress();
        connectsEndBeforeReturn = true;
        loopGreeting = true;
        syn(0); // connected in the SYN's turn: the greeting goes
        SocketChannel upstream = server.accept();
        assertEquals("hello\n", readWithin(upstream, 6), "the handshake's request");
        assertEquals(List.of(), sent, "nothing to the command while the handshake runs");
        upstream.write(ByteBuffer.wrap("ok\nSSH-2.0\r\n".getBytes(StandardCharsets.US_ASCII)));
        untilAnswered(2);
        synAck = lastSent();
        assertTrue(synAck.syn() && synAck.ack(), "SYN-ACK once the handshake is done: " + synAck);
        assertTrue(tasks.isEmpty(), "no dial went to a thread");
        ourIsn = synAck.seqNumber();
        command(3, TcpSegment.ACK, 1, "");
        upstreamReadable(4);
        assertEquals("SSH-2.0\r\n", payload(lastSent()), "the destination's first bytes, after the handshake's answer");
        command(5, TcpSegment.ACK | TcpSegment.PSH, 1, "SSH-2.0-client\r\n");
        assertEquals("SSH-2.0-client\r\n", readAll(upstream, 16), "relayed upstream");
    }

    @Test
    void aHandshakeOnTheLoopThatFailsIsAnsweredAsItsDialerMapsIt() throws IOException {
        connectOnLoop = (InetSocketAddress) server.getLocalAddress();
        loopGreeting = true;
        syn(0);
        SocketChannel upstream = server.accept();
        upstream.write(ByteBuffer.wrap("no\n".getBytes(StandardCharsets.US_ASCII)));
        untilAnswered(1);
        TcpSegment rst = lastSent();
        assertTrue(rst.rst() && rst.ack(), "RST|ACK as the mapping says (refused): " + rst);
        assertEquals(List.of("refused: no"), loopFailures.stream().map(Throwable::getMessage).toList(), "the dialer's mapping asked once");
        assertEquals(0, flows.size(), "flows left");
        assertFalse(dialed.get(0).isOpen(), "the upstream channel is closed");
    }

    @Test
    void aHandshakeOnTheLoopThatOutlastsTheConnectTimeoutIsAnsweredWithHostUnreachable() throws IOException {
        connectOnLoop = (InetSocketAddress) server.getLocalAddress();
        loopGreeting = true;
        loopConnectTimeout = Duration.ofSeconds(10);
        syn(0);
        server.accept(); // and never answers
        flows.tick(9_999 * MS);
        flows.service(9_999 * MS);
        assertEquals(List.of(), sent, "packets sent to the command before the connect-timeout");
        flows.tick(10_000 * MS);
        flows.service(10_000 * MS);
        assertIcmp(IcmpV4Message.CODE_HOST_UNREACHABLE);
        assertEquals(List.of(SocketTimeoutException.class), loopFailures.stream().map(Object::getClass).toList(), "asked about");
        assertEquals(0, flows.size(), "flows left");
        assertFalse(dialed.get(0).isOpen(), "the upstream channel is closed");
    }

    @Test
    void aConnectOnTheLoopWithoutATimeoutWaitsForTheKernel() {
        connectsNeverComplete = true;
        syn(0);
        assertEquals(Long.MAX_VALUE, flows.nextDeadline(), "no timer of the relay's own");
        assertEquals(1, flows.size(), "the flow waits");
    }

    @Test
    void anEvictedConnectOnTheLoopIsToldToItsDialerAsGivenUp() {
        connectsNeverComplete = true;
        for (int port = 1; port <= 17; port++) synTo(0, port); // maxHalfOpen is 16: the first goes
        assertEquals(List.of(AsynchronousCloseException.class), loopFailures.stream().map(Object::getClass).toList(), "asked about");
        assertFalse(dialed.get(0).isOpen(), "the evicted flow's channel is closed");
        assertEquals(16, flows.size(), "flows left");
    }

    @Test
    void aRefusedDialIsAnsweredWithReset() {
        dialFailure = DialFailure.REFUSED;
        syn(0);
        TcpSegment rst = lastSent();
        assertTrue(rst.rst() && rst.ack(), "RST|ACK for a refused dial");
        assertEquals(0, flows.size(), "flows left");
    }

    @Test
    void aDialThatTimedOutIsAnsweredWithHostUnreachable() {
        dialFailure = DialFailure.TIMED_OUT;
        syn(0);
        assertIcmp(IcmpV4Message.CODE_HOST_UNREACHABLE);
        assertEquals(0, flows.size(), "flows left");
    }

    @Test
    void anUnreachableNetworkIsAnsweredWithNetworkUnreachable() {
        dialFailure = DialFailure.NETWORK_UNREACHABLE;
        syn(0);
        assertIcmp(IcmpV4Message.CODE_NET_UNREACHABLE);
    }

    @Test
    void aDroppedFlowStaysSilentAndIsDialedOnceWhateverTheCommandRetries() {
        dialFailure = DialFailure.DROPPED;
        syn(0);
        for (long at : new long[] {1_000, 3_000, 7_000, 15_000, 31_000, 63_000}) syn(at); // Linux's SYN retries
        assertEquals(0, sent.size(), "packets sent to the command");
        assertEquals(1, dials, "dials");
        assertEquals(0, flows.bufferMemoryUsed(), "buffer memory of a silent flow");
        flows.tick(63_000 * MS + TcpFlows.SILENCE_NANOS);
        flows.service(63_000 * MS + TcpFlows.SILENCE_NANOS);
        assertEquals(0, flows.size(), "the flow is gone once the command stopped retrying");
        dialFailure = null;
        syn(200_000);
        assertEquals(2, dials, "a new connection later is dialed anew");
    }

    @Test
    void silentFlowsAreBoundedSoAScanOfDroppedDestinationsCannotFillTheTable() {
        dialFailure = DialFailure.DROPPED;
        for (int port = 1; port <= 40; port++) synTo(0, port); // maxHalfOpen is 16, the table holds 64
        assertEquals(16, flows.size(), "silent flows kept");
        dialFailure = null;
        syn(1);
        assertTrue(lastSent().syn() && lastSent().ack(), "a new connection is still answered");
    }

    private void assertIcmp(int code) {
        ByteBuffer packet = sent.get(sent.size() - 1);
        Ipv4Packet ip = new Ipv4Packet().wrap(packet, 0, packet.limit());
        assertEquals(1, ip.protocol(), "protocol of the answer");
        IcmpV4Message icmp = IcmpV4Message.unchecked(packet, ip.payloadOffset(), ip.payloadLength());
        assertEquals(IcmpV4Message.TYPE_DESTINATION_UNREACHABLE, icmp.type(), "ICMP type");
        assertEquals(code, icmp.code(), "ICMP code");
    }

    /** The command's SYN at {@code at} ms, with the dial and the loop's turn. */
    private void syn(long at) {
        synTo(at, 80);
    }

    /** The command's SYN at {@code at} ms to {@code port}, with the dial and the loop's turn. */
    private void synTo(long at, int port) {
        flows.tick(at * MS);
        int n = builder.ipv4(COMMAND, SERVER).tcp(in, 0,
                new TcpFields().sourcePort(COMMAND_PORT).destinationPort(port).seq(COMMAND_ISN).flags(TcpSegment.SYN).window(65535),
                new TcpOptions(1460, -1, false, false, 0, 0));
        deliver(at, n);
        for (Runnable t; (t = tasks.poll()) != null; ) t.run();
        flows.service(at * MS);
    }

    /** SYN from the command at {@code at} ms, the dial, our SYN-ACK and the command's ACK; returns the server's side. */
    private SocketChannel handshake(long at) throws IOException {
        syn(at);
        synAck = lastSent();
        assertTrue(synAck.syn() && synAck.ack(), "SYN-ACK");
        return ackSynAck(at);
    }

    /** The command's ACK of {@link #synAck} at {@code at} ms; returns the server's side. */
    private SocketChannel ackSynAck(long at) throws IOException {
        ourIsn = synAck.seqNumber();
        command(at, TcpSegment.ACK, 1, "");
        SocketChannel accepted = server.accept();
        accepted.configureBlocking(true);
        return accepted;
    }

    /** A segment from the command at {@code at} ms, {@code offset} bytes into its sequence space, acknowledging all we sent so far. */
    private void command(long at, int flags, int offset, String payload) {
        command(at, flags, offset, payload, ourIsn + 1 + sentPayload());
    }

    private void command(long at, int flags, int offset, String payload, int ack) {
        flows.tick(at * MS);
        byte[] p = payload.getBytes(StandardCharsets.US_ASCII);
        builder.ipv4(COMMAND, SERVER);
        in.put(builder.tcpPayloadOffset(0), p);
        int n = builder.tcp(in, 0, new TcpFields().sourcePort(COMMAND_PORT).destinationPort(80).seq(COMMAND_ISN + offset).ack(ack)
                .flags(flags).window(65535).payloadLength(p.length));
        deliver(at, n);
        flows.service(at * MS);
    }

    private void deliver(long at, int length) {
        Ipv4Packet ip = new Ipv4Packet();
        TcpSegment tcp = new TcpSegment();
        ip.wrap(in, 0, length);
        tcp.wrapChecked(in, ip.payloadOffset(), ip.payloadLength());
        assertTrue(Checksum.verifyTcp(ip, tcp), "test packet checksum");
        flows.onPacket(at * MS, ip, tcp);
    }

    /** Turns the loop at {@code at} ms on what the selector reports until the command has been answered. */
    private void untilAnswered(long at) throws IOException {
        while (sent.isEmpty()) {
            turn(at);
        }
    }

    /** Waits until an upstream socket is ready, then runs the loop's turn at {@code at} ms, each key handled as NetStack does. */
    private void turn(long at) throws IOException {
        assertTrue(selector.select(5000) > 0, "an upstream socket is ready");
        flows.tick(at * MS);
        for (SelectionKey key : selector.selectedKeys()) {
            if (key.isConnectable()) flows.onConnectable(key);
            else if (key.isReadable()) flows.onReadable(key);
            if (key.isValid() && key.isWritable()) flows.onWritable(key);
        }
        selector.selectedKeys().clear();
        flows.service(at * MS);
    }

    /**
     * A handshake of the test's own on {@code ch}: sends "hello\n", then takes exactly three bytes
     * and is done if they say "ok\n"; anything else fails it.
     */
    private static UpstreamHandshake greeting(SocketChannel ch) {
        ByteBuffer request = ByteBuffer.wrap("hello\n".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer answer = ByteBuffer.allocate(3);
        return () -> {
            ch.write(request);
            if (request.hasRemaining()) return UpstreamHandshake.Progress.WRITABLE;
            if (ch.read(answer) < 0) throw new IOException("closed during the greeting");
            if (answer.hasRemaining()) return UpstreamHandshake.Progress.READABLE;
            String said = new String(answer.array(), StandardCharsets.US_ASCII);
            if (!said.equals("ok\n")) throw new IOException("refused: " + said.strip());
            return UpstreamHandshake.Progress.DONE;
        };
    }

    /** Waits, on a selector of its own, until the kernel has ended {@code ch}'s connect one way or the other. */
    private static void awaitConnectable(SocketChannel ch) throws IOException {
        try (Selector own = Selector.open()) {
            ch.register(own, SelectionKey.OP_CONNECT);
            assertTrue(own.select(5000) > 0, "the connect ends");
        }
    }

    /** Waits until the upstream socket has something for us, then runs the loop's turn at {@code at} ms. */
    private void upstreamReadable(long at) throws IOException {
        assertTrue(selector.select(5000) > 0, "upstream readable");
        flows.tick(at * MS);
        for (SelectionKey key : selector.selectedKeys()) flows.onReadable(key);
        selector.selectedKeys().clear();
        flows.service(at * MS);
    }

    private int sentPayload() {
        int total = 0;
        for (ByteBuffer p : sent) {
            TcpSegment t = segment(p);
            total += t.payloadLength();
        }
        return total;
    }

    private TcpSegment lastSent() {
        return segment(sent.get(sent.size() - 1));
    }

    private static TcpSegment segment(ByteBuffer packet) {
        Ipv4Packet ip = new Ipv4Packet().wrap(packet, 0, packet.limit());
        return new TcpSegment().wrap(packet, ip.payloadOffset(), ip.payloadLength());
    }

    private static InetAddress address(int v4) {
        return Ipv4Packet.address(v4);
    }

    private static String payload(TcpSegment t) {
        byte[] b = new byte[t.payloadLength()];
        t.buffer().get(t.payloadOffset(), b);
        return new String(b, StandardCharsets.US_ASCII);
    }

    /** Reads {@code n} bytes from {@code ch}, or what has come within 5 s. */
    private static String readWithin(SocketChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        ch.configureBlocking(false);
        try (Selector own = Selector.open()) {
            ch.register(own, SelectionKey.OP_READ);
            long end = System.nanoTime() + 5_000 * MS;
            while (b.hasRemaining() && System.nanoTime() < end && ch.read(b) >= 0) {
                own.select(Math.max(1, (end - System.nanoTime()) / MS));
            }
        }
        ch.configureBlocking(true);
        return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
    }

    private static String readAll(SocketChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) break;
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
    }
}
