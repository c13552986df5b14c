package dev.nstun.stack.tcp;

import static dev.nstun.stack.tcp.TcpTestSupport.MS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nstun.stack.wire.Checksum;
import dev.nstun.stack.wire.IpProtocol;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.TcpSegment;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Two parties over an in-memory link with a seeded fault injector, under a virtual clock: our
 * {@link TcpConnection} against {@link MiniClient}, 4 MiB each way at once, checked by SHA-256.
 * No threads, no sleeps: the loop below jumps from one event (a delivery, a timer) to the next, and
 * checks after every dispatch that the connection's {@code pollAt} lies in the future. Like the
 * stack's loop, it hands over every packet due at one instant as a batch, dispatching within it only
 * where {@code process} says a reply is due.
 */
class LossyLinkTest {
    static final int SIZE = 4 << 20;
    static final long ONE_WAY = MS;
    static final long LIMIT = 600_000 * MS;

    /** Probabilities per packet. */
    record Faults(double drop, double duplicate, double reorder, double corrupt) {
        static final Faults NONE = new Faults(0, 0, 0, 0);
        /** What the issue asks the kernel-peer tests to survive: 5% loss, 25% reorder, 5% duplication, 1% corruption. */
        static final Faults HARSH = new Faults(0.05, 0.05, 0.25, 0.01);
    }

    /** One direction of the link: a fixed latency, faults from a seeded generator, deliveries in time order. */
    static final class Link {
        private record Pending(long at, long order, ByteBuffer packet) { }

        private final Random random;
        private final Faults faults;
        private final PriorityQueue<Pending> queue = new PriorityQueue<>(
                (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
        private long order;
        long sent;
        long dropped;

        Link(long seed, Faults faults) {
            this.random = new Random(seed);
            this.faults = faults;
        }

        void send(long now, ByteBuffer packet) {
            sent++;
            if (random.nextDouble() < faults.drop) {
                dropped++;
                return;
            }
            int copies = random.nextDouble() < faults.duplicate ? 2 : 1;
            for (int i = 0; i < copies; i++) {
                ByteBuffer copy = ByteBuffer.allocate(packet.remaining());
                copy.put(0, packet, packet.position(), packet.remaining());
                if (random.nextDouble() < faults.corrupt) {
                    int at = random.nextInt(copy.limit());
                    copy.put(at, (byte) (copy.get(at) ^ (1 + random.nextInt(255))));
                }
                long delay = ONE_WAY + (random.nextDouble() < faults.reorder ? random.nextInt(3_000) * 1_000L : 0);
                queue.add(new Pending(now + delay, order++, copy));
            }
        }

        long nextAt() {
            return queue.isEmpty() ? Long.MAX_VALUE : queue.peek().at;
        }

        List<ByteBuffer> due(long now) {
            List<ByteBuffer> due = new ArrayList<>();
            while (!queue.isEmpty() && queue.peek().at <= now) due.add(queue.poll().packet);
            return due;
        }
    }

    /** What one run measured. */
    record Outcome(long virtualNanos, long downloadDoneNanos, long uploadDoneNanos, long packetsToClient, long packetsToUs,
                   long largeSegments) { }

    /** Runs one transfer of {@code size} bytes each way and checks everything arrived intact and both sides closed. */
    static Outcome transfer(long seed, TcpConfig cfg, int clientMss, Faults faults, int size) {
        return transfer(seed, cfg, clientMss, faults, size, false);
    }

    /** As above, through a link that cuts segments larger than the MTU when {@code segmenting} (TSO). */
    static Outcome transfer(long seed, TcpConfig cfg, int clientMss, Faults faults, int size, boolean segmenting) {
        Random random = new Random(seed);
        byte[] upload = new byte[size];
        byte[] download = new byte[size];
        random.nextBytes(upload);
        random.nextBytes(download);
        MiniClient client = new MiniClient(0xffff_ff00, clientMss, upload);
        Link toUs = new Link(seed * 31 + 1, faults);
        Link toClient = new Link(seed * 31 + 2, faults);
        LinkSink sink = new LinkSink(toClient::send, cfg.mtu(), segmenting);
        MessageDigest uploaded = sha256();
        ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
        TcpConnection conn = null;
        int written = 0;
        long read = 0;
        long downloadDone = -1;
        long uploadDone = -1;
        long now = 0;
        while (true) {
            for (ByteBuffer p : toUs.due(now)) {
                Ipv4Packet ip = new Ipv4Packet();
                TcpSegment seg = verified(p, ip);
                if (seg == null) continue;
                if (conn == null) {
                    if (!TcpConnection.isConnectionRequest(seg)) continue;
                    conn = TcpConnection.fromSyn(now, ip, seg, cfg, 0x7fff_ff00);
                    conn.accept(now);
                } else if (conn.process(now, seg)) {
                    // As the relay does: read what the segment made readable, then let the reply go before the next segment.
                    read += drain(conn, readBuffer, uploaded);
                    sink.now = now;
                    conn.dispatch(now, sink);
                }
            }
            for (ByteBuffer p : toClient.due(now)) {
                TcpSegment seg = verified(p, new Ipv4Packet());
                if (seg != null) client.process(now, seg);
            }
            if (client.bytesDownloaded() == size && downloadDone < 0) downloadDone = now;
            if (conn != null) {
                read += drain(conn, readBuffer, uploaded);
                if (read == size && uploadDone < 0) uploadDone = now;
                if (written < size) {
                    written += conn.write(ByteBuffer.wrap(download, written, Math.min(size - written, 64 * 1024)));
                    if (written == size) conn.shutdownOutput();
                }
                sink.now = now;
                if (conn.pollAt() <= now) conn.dispatch(now, sink);
                if (conn.pollAt() <= now) fail("pollAt " + conn.pollAt() + " not after now " + now + " in " + conn.state());
            }
            if (client.pollAt() <= now) for (ByteBuffer p : client.dispatch(now)) toUs.send(now, p);
            if (client.done() && conn != null && conn.isClosed() && conn.inputShutdown()) break;
            long next = Math.min(Math.min(toUs.nextAt(), toClient.nextAt()), client.pollAt());
            if (conn != null) next = Math.min(next, conn.pollAt());
            if (next == Long.MAX_VALUE || now > LIMIT) {
                fail("stuck at " + now / MS + " ms: state " + (conn == null ? "none" : conn.state()) + ", downloaded "
                        + client.bytesDownloaded() + ", uploaded written " + written);
            }
            now = Math.max(next, now + 1);
        }
        assertArrayEquals(sha256().digest(upload), uploaded.digest(), "SHA-256 of the upload the connection read");
        assertArrayEquals(sha256().digest(download), client.downloadDigest(), "SHA-256 of the download the client got");
        assertEquals(0, client.resetsReceived(), "RSTs the client got");
        assertEquals(CloseReason.NONE, conn.closeReason(), "close reason");
        return new Outcome(now, downloadDone, uploadDone, toClient.sent, toUs.sent, sink.largeSegments);
    }

    /** Reads everything readable into {@code digest}; returns the count. */
    private static long drain(TcpConnection conn, ByteBuffer buffer, MessageDigest digest) {
        long n = 0;
        while (conn.readable() > 0) {
            conn.read(buffer.clear());
            digest.update(buffer.array(), 0, buffer.position());
            n += buffer.position();
        }
        return n;
    }

    private static TcpSegment verified(ByteBuffer p, Ipv4Packet ip) {
        if (ip.wrapChecked(p, 0, p.limit()) != null || !Checksum.verifyIpv4Header(ip) || ip.protocol() != IpProtocol.TCP) {
            return null;
        }
        TcpSegment tcp = new TcpSegment();
        if (tcp.wrapChecked(p, ip.payloadOffset(), ip.payloadLength()) != null || !Checksum.verifyTcp(ip, tcp)) return null;
        return tcp;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static final TcpConfig DEFAULTS = TcpConfig.defaults(1500).withKeepalive(0, 0, 0);

    @Nested
    class CleanLink {
        @Test
        void fourMiBEachWayArriveIntact() {
            Outcome o = transfer(1, DEFAULTS, 1460, Faults.NONE, SIZE);
            assertTrue(o.virtualNanos() < 5_000 * MS, "took " + o.virtualNanos() / MS + " ms of virtual time");
        }

        @Test
        void aSegmentingLinkTakesRunsOfSegmentsInOne() {
            Outcome plain = transfer(1, DEFAULTS, 1460, Faults.NONE, SIZE);
            Outcome segmented = transfer(1, DEFAULTS, 1460, Faults.NONE, SIZE, true);
            assertEquals(0, plain.largeSegments(), "without offload");
            assertTrue(segmented.largeSegments() > 0 && segmented.largeSegments() < plain.packetsToClient() / 4,
                    segmented.largeSegments() + " large segments for " + plain.packetsToClient() + " packets");
        }

        @Test
        void largeMtuCarriesLargeSegments() {
            Outcome o = transfer(2, TcpConfig.defaults(65520).withKeepalive(0, 0, 0), 65480, Faults.NONE, SIZE);
            assertTrue(o.packetsToClient() < 2_000, "packets to the client: " + o.packetsToClient());
        }
    }

    @Nested
    class HarshLink {
        @ParameterizedTest(name = "seed {0}")
        @ValueSource(longs = {1, 2, 3})
        void fourMiBEachWayArriveIntactWithCubicAndSack(long seed) {
            transfer(seed, DEFAULTS, 1460, Faults.HARSH, SIZE);
        }

        @ParameterizedTest(name = "seed {0}")
        @ValueSource(longs = {4, 5})
        void fourMiBEachWayArriveIntactWithNewRenoWithoutSack(long seed) {
            transfer(seed, DEFAULTS.withOptions(true, false, true).withCongestionControl(NewReno::new), 1460, Faults.HARSH, SIZE);
        }

        @Test
        void fourMiBEachWayArriveIntactWithoutAnyOption() {
            transfer(6, DEFAULTS.withOptions(false, false, false), 1460, Faults.HARSH, SIZE);
        }

        @Test
        void fourMiBEachWayArriveIntactWithLargeSegments() {
            transfer(7, TcpConfig.defaults(65520).withKeepalive(0, 0, 0), 65480, Faults.HARSH, SIZE);
        }

        @ParameterizedTest(name = "seed {0}")
        @ValueSource(longs = {9, 10})
        void fourMiBEachWayArriveIntactThroughASegmentingLink(long seed) {
            assertTrue(transfer(seed, DEFAULTS, 1460, Faults.HARSH, SIZE, true).largeSegments() > 0, "large segments sent");
        }

        @Test
        void fourMiBEachWayArriveIntactThroughSmallBuffers() {
            transfer(8, DEFAULTS.withBuffers(8 * 1024, 8 * 1024), 1460, Faults.HARSH, SIZE);
        }
    }
}
