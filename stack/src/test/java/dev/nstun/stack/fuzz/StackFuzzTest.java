package dev.nstun.stack.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nstun.stack.tcp.CloseReason;
import dev.nstun.stack.tcp.MiniClient;
import dev.nstun.stack.tcp.LinkSink;
import dev.nstun.stack.tcp.TcpConfig;
import dev.nstun.stack.tcp.TcpConnection;
import dev.nstun.stack.wire.Checksum;
import dev.nstun.stack.wire.IpProtocol;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.TcpSegment;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * The TCP state machine as a whole: our {@link TcpConnection} against {@link MiniClient} (the
 * wrapped command's kernel) over an in-memory link with a virtual clock, the input choosing the
 * link's faults and seed, the sizes sent each way, when our side writes, reads, shuts down, closes
 * or aborts, when the client aborts, and mutations of the segments on their way to us (bytes
 * flipped, truncated, flags, sequence, acknowledgment, window, data offset and options changed),
 * some of them re-checksummed so that they reach the state machine.
 *
 * <p>Whatever the input: nothing throws, {@code dispatch} always leaves {@code pollAt} in the future
 * (no busy loop), the run ends within {@link #LIMIT} of virtual time and {@link #MAX_EVENTS} loop
 * turns. Unless a mutated segment passed the checksum (a peer that lies), the connection also ends
 * CLOSED once both sides are done; and when it ended in an orderly close, each side read exactly
 * what the other sent (SHA-256). Segments to the client are faulted but never forged: the client is
 * a test double, not the code under test.
 *
 * <p>Without {@code JAZZER_FUZZ=1} it runs only its committed inputs (under
 * {@code StackFuzzTestInputs/} in the test resources) as part of the unit tests; {@code bench/fuzz}
 * fuzzes it. With {@code STACKFUZZ_TRACE} set in the environment, every segment delivered is
 * printed, to read what a failing input does.
 */
class StackFuzzTest {
    private static final long MS = 1_000_000L;
    private static final long ONE_WAY = MS;
    /** Virtual time a run may take: far beyond the retransmission and keepalive give-ups of {@link #config}. */
    private static final long LIMIT = 600_000 * MS;
    private static final boolean TRACE = System.getenv("STACKFUZZ_TRACE") != null;
    private static final int MAX_EVENTS = 200_000;
    private static final int MAX_SIZE = 48 * 1024;
    private static final int OUR_ADDR_ISN = 0x7fff_ff00;

    /** What our side's application does, at a time of its script. */
    private enum Action { WRITE, READ, SHUTDOWN, CLOSE, ABORT }

    private record Step(long delayNanos, Action action, int amount) { }

    /** A change to the {@code index}-th packet towards us; {@code fix}: recompute length and checksums after. */
    private record Mutation(int index, int kind, int offset, int value, boolean fix) { }

    @FuzzTest
    void connection(FuzzedDataProvider data) {
        new Run(data).run();
    }

    private static TcpConfig config(FuzzedDataProvider data) {
        int mtu = data.pickValue(new int[]{1500, 1280, 9000});
        int buffer = data.consumeInt(2 * mtu, 128 * 1024);
        return TcpConfig.defaults(mtu)
                .withBuffers(buffer, data.consumeInt(2 * mtu, 128 * 1024))
                .withOptions(data.consumeBoolean(), data.consumeBoolean(), data.consumeBoolean())
                .withRetransmission(1_000 * MS, 200 * MS, 4_000 * MS, 12, 5)
                .withKeepalive(10_000 * MS, 2_000 * MS, 3);
    }

    /** One run: everything the input chose, then the loop. */
    private static final class Run {
        private final TcpConfig cfg;
        private final Link toUs;
        private final Link toClient;
        private final byte[] upload;
        private final byte[] download;
        private final ArrayDeque<Step> script = new ArrayDeque<>();
        private final long clientAbortAt;
        private final ArrayDeque<Mutation> mutations = new ArrayDeque<>();
        private final MiniClient client;
        private final LinkSink sink;

        private TcpConnection conn;
        /** When our application's next action is due ({@link Long#MAX_VALUE}: none, or no connection yet). */
        private long appAt = Long.MAX_VALUE;
        private boolean clientAborted;
        private boolean weAborted;
        private boolean draining;
        private boolean tampered;
        private int packetsToUs;
        private int written;
        private long read;
        private final MessageDigest uploaded = sha256();
        private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);

        Run(FuzzedDataProvider data) {
            cfg = config(data);
            long seed = data.consumeLong();
            int percent = data.consumeInt(0, 100);
            // Loss up to 30%, so that an unmutated run closes in order far more often than it times out.
            Faults faults = new Faults(percent * 0.3 / 100, data.consumeInt(0, 30) / 100.0, data.consumeInt(0, 30) / 100.0,
                    data.consumeInt(0, 5) / 100.0);
            toUs = new Link(new Random(seed), faults);
            toClient = new Link(new Random(~seed), faults);
            Random random = new Random(seed * 31);
            upload = new byte[data.consumeInt(0, MAX_SIZE)];
            download = new byte[data.consumeInt(0, MAX_SIZE)];
            random.nextBytes(upload);
            random.nextBytes(download);
            clientAbortAt = data.consumeBoolean() ? data.consumeLong(0, 30_000) * MS : Long.MAX_VALUE;
            int steps = data.consumeInt(0, 24);
            for (int i = 0; i < steps; i++) {
                script.add(new Step(data.consumeInt(0, 3_000) * MS, data.pickValue(Action.values()),
                        data.consumeInt(0, 32 * 1024)));
            }
            int index = 0;
            while (data.remainingBytes() >= 8) {
                index += data.consumeInt(0, 15);
                mutations.add(new Mutation(index++, data.consumeInt(0, 8), data.consumeInt(0, 100), data.consumeInt(),
                        data.consumeBoolean()));
            }
            client = new MiniClient(0xffff_ff00, cfg.mtu() - 40, upload);
            sink = new LinkSink(toClient::send, cfg.mtu());
        }

        void run() {
            long now = 0;
            for (int events = 0; ; events++) {
                if (events > MAX_EVENTS) throw new AssertionError("no end after " + MAX_EVENTS + " turns: " + this);
                for (Pending p : toUs.due(now)) deliverToUs(now, p);
                for (Pending p : toClient.due(now)) {
                    TcpSegment seg = verified(p.packet, new Ipv4Packet());
                    if (TRACE && seg != null) System.err.println(now / 1000 + "us to client " + seg + " " + conn.state());
                    if (seg != null && !clientAborted) client.process(now, seg);
                }
                if (now >= appAt) appAt = act(now);
                if (conn != null) {
                    if (draining) drain();
                    sink.now = now;
                    if (conn.pollAt() <= now) conn.dispatch(now, sink);
                    if (conn.pollAt() <= now) {
                        throw new AssertionError("pollAt " + conn.pollAt() + " not after now " + now + ": " + this);
                    }
                }
                if (!clientAborted && now >= clientAbortAt) abortClient(now);
                if (!clientAborted && client.pollAt() <= now) for (ByteBuffer p : client.dispatch(now)) toUs.send(now, p);
                if (conn != null && conn.isClosed() && script.isEmpty()) break;
                if (conn == null && clientAborted && toUs.nextAt() == Long.MAX_VALUE) return;
                long next = Math.min(Math.min(toUs.nextAt(), toClient.nextAt()), appAt);
                if (!clientAborted) next = Math.min(next, Math.min(client.pollAt(), clientAbortAt));
                if (conn != null) next = Math.min(next, conn.pollAt());
                if (next == Long.MAX_VALUE || next > LIMIT) {
                    if (tampered) return;
                    throw new AssertionError("no end by " + now / MS + " ms: " + this);
                }
                now = Math.max(next, now + 1);
            }
            if (conn.pollAt() != Long.MAX_VALUE) throw new AssertionError("closed but pollAt " + conn.pollAt() + ": " + this);
            drain();
            conn.dispose();
            boolean orderly = !tampered && !weAborted && !clientAborted && conn.closeReason() == CloseReason.NONE;
            if (!orderly) return;
            if (!Arrays.equals(sha256().digest(upload), uploaded.digest())) throw new AssertionError("upload differs: " + this);
            // Our FIN was acknowledged: the client has every byte written before it, perhaps not all we meant to write.
            if (!Arrays.equals(sha256().digest(Arrays.copyOf(download, written)), client.downloadDigest())) {
                throw new AssertionError("download differs: " + this);
            }
        }

        /** Runs our application's actions due now; returns when the next one is due. */
        private long act(long now) {
            Step step = script.poll();
            if (step == null) {
                // The script is over: the application reads everything, writes what is left, then shuts down.
                draining = true;
                if (written < download.length) write(download.length);
                if (written == download.length) conn.shutdownOutput();
                return written < download.length ? now + 10 * MS : Long.MAX_VALUE;
            }
            switch (step.action) {
                case WRITE -> write(step.amount);
                case READ -> {
                    ByteBuffer dst = readBuffer.clear().limit(Math.min(step.amount, readBuffer.capacity()));
                    conn.read(dst);
                    uploaded.update(readBuffer.array(), 0, dst.position());
                    read += dst.position();
                }
                case SHUTDOWN -> conn.shutdownOutput();
                case CLOSE -> {
                    conn.shutdownOutput();
                    draining = true;
                }
                case ABORT -> {
                    weAborted |= !conn.isClosed();
                    conn.abort();
                }
            }
            return script.isEmpty() ? now : now + script.peek().delayNanos();
        }

        private void write(int amount) {
            int n = Math.min(amount, download.length - written);
            written += conn.write(ByteBuffer.wrap(download, written, n));
        }

        private void drain() {
            while (conn.readable() > 0) {
                conn.read(readBuffer.clear());
                uploaded.update(readBuffer.array(), 0, readBuffer.position());
                read += readBuffer.position();
            }
        }

        /** The client's socket goes away with a RST (a copy of its last segment, flags changed, payload cut). */
        private void abortClient(long now) {
            clientAborted = true;
            List<ByteBuffer> last = new ArrayList<>(client.dispatch(now));
            if (last.isEmpty()) return;
            ByteBuffer p = last.get(last.size() - 1);
            int ipLength = (p.get(0) & 0xf) * 4;
            int tcpLength = (p.get(ipLength + 12) & 0xf0) >>> 2;
            p.put(ipLength + 13, (byte) (TcpSegment.RST | TcpSegment.ACK));
            p.limit(ipLength + tcpLength);
            p.putShort(2, (short) p.limit());
            refill(p);
            toUs.send(now, p);
        }

        private void deliverToUs(long now, Pending p) {
            ByteBuffer packet = p.packet;
            Mutation m = mutations.peek();
            if (m != null && m.index == packetsToUs) {
                mutations.poll();
                mutate(packet, m);
            }
            packetsToUs++;
            Ipv4Packet ip = new Ipv4Packet();
            TcpSegment seg = verified(packet, ip);
            if (TRACE) System.err.println(now / 1000 + "us to us " + seg + " " + (conn == null ? null : conn.state()));
            if (seg == null) return;
            if (!packet.equals(p.original)) tampered = true;
            if (conn == null) {
                if (!TcpConnection.isConnectionRequest(seg)) return;
                conn = TcpConnection.fromSyn(now, ip, seg, cfg, OUR_ADDR_ISN);
                conn.accept(now);
                appAt = now + (script.isEmpty() ? 0 : script.peek().delayNanos());
            } else if (conn.process(now, seg)) {
                sink.now = now;
                conn.dispatch(now, sink);
            }
        }

        @Override
        public String toString() {
            return "state " + (conn == null ? "none" : conn.state() + " (" + conn.closeReason() + ")") + ", upload "
                    + read + "/" + upload.length + ", download written " + written + "/" + download.length + " got "
                    + client.bytesDownloaded() + ", client done " + client.done() + ", aborted us " + weAborted
                    + " client " + clientAborted + ", tampered " + tampered + ", script " + script.size() + " at " + appAt;
        }
    }

    /** Applies {@code m} to an IPv4 packet carrying TCP (position 0). */
    private static void mutate(ByteBuffer p, Mutation m) {
        int limit = p.limit();
        int ipLength = (p.get(0) & 0xf) * 4;
        int tcp = Math.min(ipLength, limit - 20);
        int dataOffset = tcp + ((p.get(tcp + 12) & 0xf0) >>> 2);
        switch (m.kind) {
            case 0 -> {
                int at = m.offset * limit / 101;
                p.put(at, (byte) (p.get(at) ^ (m.value | 1)));
            }
            case 1 -> p.limit(Math.max(1, m.offset * limit / 100));
            case 2 -> p.put(tcp + 13, (byte) m.value);
            case 3 -> p.putInt(tcp + 4, p.getInt(tcp + 4) + (m.value >> m.offset % 32));
            case 4 -> p.putInt(tcp + 8, p.getInt(tcp + 8) + (m.value >> m.offset % 32));
            case 5 -> p.putShort(tcp + 14, (short) m.value);
            case 6 -> p.put(tcp + 12, (byte) (m.value & 0xf0 | p.get(tcp + 12) & 0x0f));
            case 7 -> {
                if (dataOffset > tcp + 20 && dataOffset <= limit) p.put(tcp + 20 + m.offset % (dataOffset - tcp - 20), (byte) m.value);
            }
            default -> {
                // Inserts a fuzzed option over the first option bytes (kind, length, value).
                if (dataOffset >= tcp + 24 && dataOffset <= limit) p.putInt(tcp + 20, m.value);
            }
        }
        if (m.fix) {
            if (p.limit() >= 20 && (p.get(0) & 0xf0) == 0x40) p.putShort(2, (short) p.limit());
            refill(p);
        }
    }

    /** Recomputes the IPv4 header and TCP checksums where the packet still parses. */
    private static void refill(ByteBuffer p) {
        Ipv4Packet ip = new Ipv4Packet();
        if (ip.wrapChecked(p, 0, p.limit()) != null) return;
        Checksum.fillIpv4Header(ip);
        TcpSegment tcp = new TcpSegment();
        if (ip.protocol() == IpProtocol.TCP && tcp.wrapChecked(p, ip.payloadOffset(), ip.payloadLength()) == null) {
            Checksum.fillTcp(ip, tcp);
        }
    }

    private static TcpSegment verified(ByteBuffer p, Ipv4Packet ip) {
        if (ip.wrapChecked(p, 0, p.limit()) != null || !Checksum.verifyIpv4Header(ip) || ip.protocol() != IpProtocol.TCP) {
            return null;
        }
        TcpSegment tcp = new TcpSegment();
        if (tcp.wrapChecked(p, ip.payloadOffset(), ip.payloadLength()) != null || !Checksum.verifyTcp(ip, tcp)) return null;
        return tcp;
    }

    /** Probabilities per packet. */
    private record Faults(double drop, double duplicate, double reorder, double corrupt) { }

    /** A packet in flight, with the bytes it was sent with (to tell a mutated one). */
    private record Pending(long at, long order, ByteBuffer packet, ByteBuffer original) { }

    /** One direction of the link: a fixed latency, faults from a seeded generator, deliveries in time order. */
    private static final class Link {
        private final Random random;
        private final Faults faults;
        private final PriorityQueue<Pending> queue = new PriorityQueue<>(
                (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
        private long order;

        Link(Random random, Faults faults) {
            this.random = random;
            this.faults = faults;
        }

        void send(long now, ByteBuffer packet) {
            if (random.nextDouble() < faults.drop) return;
            int copies = random.nextDouble() < faults.duplicate ? 2 : 1;
            for (int i = 0; i < copies; i++) {
                ByteBuffer original = ByteBuffer.allocate(packet.remaining());
                original.put(0, packet, packet.position(), packet.remaining());
                ByteBuffer copy = ByteBuffer.allocate(original.limit()).put(0, original, 0, original.limit());
                if (random.nextDouble() < faults.corrupt && copy.limit() > 0) {
                    int at = random.nextInt(copy.limit());
                    copy.put(at, (byte) (copy.get(at) ^ (1 + random.nextInt(255))));
                }
                long delay = ONE_WAY + (random.nextDouble() < faults.reorder ? random.nextInt(3_000) * 1_000L : 0);
                queue.add(new Pending(now + delay, order++, copy, original));
            }
        }

        long nextAt() {
            return queue.isEmpty() ? Long.MAX_VALUE : queue.peek().at;
        }

        List<Pending> due(long now) {
            List<Pending> due = new ArrayList<>();
            while (!queue.isEmpty() && queue.peek().at <= now) due.add(queue.poll());
            return due;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
