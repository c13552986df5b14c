package dev.nstun.stack.device;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Random;

/**
 * Wraps a device and, from a seed, drops, duplicates, reorders and corrupts packets in both
 * directions: what the command sends (as {@code tc netem} on the TUN would) and what nstun sends
 * (which netem cannot reach). For tests and for reproducing a bad link; never on by default.
 */
public final class FaultInjectingDevice extends ForwardingDevice {
    /** Probabilities in percent, and the seed that makes a run repeatable. */
    public record Faults(double loss, double reorder, double duplicate, double corrupt, long seed) {
        /** Parses "loss=5,reorder=25,duplicate=5,corrupt=1,seed=42" (any subset; percentages). */
        public static Faults parse(String spec) {
            double loss = 0;
            double reorder = 0;
            double duplicate = 0;
            double corrupt = 0;
            long seed = 1;
            for (String part : spec.split(",")) {
                String[] kv = part.trim().split("=", 2);
                if (kv.length != 2) throw new IllegalArgumentException("expected name=value in '" + part + "'");
                String name = kv[0].trim().toLowerCase(Locale.ROOT);
                String value = kv[1].trim();
                switch (name) {
                    case "loss" -> loss = percent(name, value);
                    case "reorder" -> reorder = percent(name, value);
                    case "duplicate" -> duplicate = percent(name, value);
                    case "corrupt" -> corrupt = percent(name, value);
                    case "seed" -> seed = Long.parseLong(value);
                    default -> throw new IllegalArgumentException("unknown fault '" + kv[0] + "' (expected loss, reorder, duplicate, corrupt, seed)");
                }
            }
            return new Faults(loss, reorder, duplicate, corrupt, seed);
        }

        private static double percent(String name, String value) {
            double v = Double.parseDouble(value.endsWith("%") ? value.substring(0, value.length() - 1) : value);
            if (v < 0 || v > 100) throw new IllegalArgumentException(name + " must be a percentage from 0 to 100, not " + value);
            return v;
        }
    }

    private final Faults faults;
    private final Random random;
    /**
     * Packets from the command held back (reordered) or repeated (duplicated): delivered once the
     * real device has nothing more in this batch, so they need no wakeup of their own.
     */
    private final ArrayDeque<ByteBuffer> inbound = new ArrayDeque<>();
    /** A packet to the command held back to go after the next one, or at the end of the loop's turn. */
    private ByteBuffer heldOutbound;

    public FaultInjectingDevice(Device inner, Faults faults) {
        super(inner);
        this.faults = faults;
        this.random = new Random(faults.seed());
    }

    @Override
    public int receive(ByteBuffer dst) throws IOException {
        while (true) {
            int start = dst.position();
            int n = inner.receive(dst);
            if (n <= 0) {
                ByteBuffer queued = inbound.poll();
                if (queued == null) return n;
                dst.put(queued);
                return queued.limit();
            }
            if (chance(faults.loss())) {
                dst.position(start);
                continue;
            }
            if (chance(faults.corrupt())) corrupt(dst, start, n);
            if (chance(faults.duplicate())) inbound.add(copy(dst, start, n));
            if (chance(faults.reorder())) {
                inbound.add(copy(dst, start, n));
                dst.position(start);
                continue;
            }
            return n;
        }
    }

    @Override
    public void transmit(ByteBuffer packet) throws IOException {
        if (chance(faults.loss())) {
            packet.position(packet.limit());
            return;
        }
        ByteBuffer out = packet;
        if (chance(faults.corrupt())) {
            out = copy(packet, packet.position(), packet.remaining());
            corrupt(out, 0, out.limit());
        }
        if (heldOutbound == null && chance(faults.reorder())) {
            heldOutbound = copy(out, out.position(), out.remaining());
            packet.position(packet.limit());
            return;
        }
        boolean twice = chance(faults.duplicate());
        ByteBuffer again = twice ? copy(out, out.position(), out.remaining()) : null;
        inner.transmit(out);
        packet.position(packet.limit());
        if (again != null) inner.transmit(again);
        if (heldOutbound != null) {
            ByteBuffer held = heldOutbound;
            heldOutbound = null;
            inner.transmit(held);
        }
    }

    /** Reordering, not loss: a held-back packet goes at the end of the turn even if nothing follows it. */
    @Override
    public void flush() throws IOException {
        if (heldOutbound != null) {
            ByteBuffer held = heldOutbound;
            heldOutbound = null;
            inner.transmit(held);
        }
        inner.flush();
    }

    private boolean chance(double percent) {
        return percent > 0 && random.nextDouble() * 100 < percent;
    }

    /** Flips one bit past the IP header's first 20 bytes, so checksums catch it as on a real link. */
    private void corrupt(ByteBuffer buf, int off, int len) {
        if (len <= 20) return;
        int at = off + 20 + random.nextInt(len - 20);
        buf.put(at, (byte) (buf.get(at) ^ (1 << random.nextInt(8))));
    }

    private static ByteBuffer copy(ByteBuffer src, int off, int len) {
        ByteBuffer c = ByteBuffer.allocate(len);
        c.put(0, src, off, len);
        return c;
    }
}
