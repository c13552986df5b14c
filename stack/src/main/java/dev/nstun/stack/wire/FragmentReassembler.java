package dev.nstun.stack.wire;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Puts IPv4 (RFC 791 §3.2) and IPv6 (RFC 8200 §4.5) fragments back together, in bounded memory and
 * without a clock: time is the {@code nowMillis} argument, and {@link #pollAt()} says when
 * {@link #expire} next has work.
 *
 * <p>It holds at most {@code maxDatagrams} datagrams in progress and {@code maxBytes} bytes of their
 * headers and data; a datagram not complete {@code timeoutMillis} after its first fragment arrived
 * is dropped. When a new datagram finds no room, the oldest ones in progress make way for it
 * ({@link #evictedByLastOffer()}): fragments that never complete cannot hold the table against the
 * datagrams that do. A fragment that repeats data already held is ignored; one that partly overlaps, or
 * disagrees about where the datagram ends, drops the whole datagram (RFC 5722 for IPv6, and what
 * Linux does for IPv4 too: overlaps are how firewalls get fooled).
 *
 * <p>Datagrams are keyed by source, destination and identification, plus the protocol for IPv4. The
 * first fragment gives the header of the result: for IPv6 the unfragmentable part (the IPv6 header
 * and the extension headers before the fragment header), whose last next-header field is then set
 * to the protocol the fragment header named. A reassembled IPv6 datagram that is itself a fragment
 * (RFC 8200 §4.5 allows one fragment header per packet) is dropped.
 *
 * <p>Not thread-safe: it belongs to the loop that owns the stack's state.
 */
public final class FragmentReassembler {
    /** How long a datagram may take to arrive whole: Linux's {@code ipfrag_time}, within RFC 8200's 60 s. */
    public static final long DEFAULT_TIMEOUT_MILLIS = 30_000;
    /** Largest value of a 16-bit length field: the IPv4 total length, or the IPv6 payload length. */
    static final int MAX_LENGTH = 0xffff;
    /** Fragment data is placed in 8-byte units. */
    private static final int UNIT = 8;
    /** Smallest buffer a datagram in progress starts with. */
    private static final int INITIAL_CAPACITY = 2048;

    private final int maxDatagrams;
    private final long maxBytes;
    private final long timeoutMillis;
    private final Datagram[] datagrams;
    private int count;
    private long bytesHeld;
    private long timedOut;
    private int evictedByLastOffer;
    private final ByteBuffer out = ByteBuffer.allocate(Ipv6Packet.HEADER_LENGTH + MAX_LENGTH);
    private final Ipv4Packet completedV4 = new Ipv4Packet();
    private final Ipv6Packet completedV6 = new Ipv6Packet();
    private IpPacket completed;

    /** Creates a reassembler holding at most {@code maxDatagrams} datagrams and {@code maxBytes} bytes of their headers and data. */
    public FragmentReassembler(int maxDatagrams, long maxBytes, long timeoutMillis) {
        if (maxDatagrams < 1) throw new IllegalArgumentException("maxDatagrams: " + maxDatagrams + " (expected: 1 or more)");
        if (maxBytes < 0) throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: 0 or more)");
        if (timeoutMillis < 0) throw new IllegalArgumentException("timeoutMillis: " + timeoutMillis + " (expected: 0 or more)");
        this.maxDatagrams = maxDatagrams;
        this.maxBytes = maxBytes;
        this.timeoutMillis = timeoutMillis;
        this.datagrams = new Datagram[maxDatagrams];
    }

    /**
     * Takes an IPv4 fragment ({@code fragment.isFragment()}, header checksum verified). Returns
     * {@code null} when it was kept — then {@link #completed()} gives the datagram if this fragment
     * completed it — or why it was dropped. Drops datagrams that timed out first.
     */
    public DropReason offer(long nowMillis, Ipv4Packet fragment) {
        return offer(nowMillis, fragment, 4, fragment.source(), 0, fragment.destination(), 0, fragment.protocol(),
                fragment.identification(), fragment.fragmentOffset(), fragment.moreFragments(), fragment.headerLength(), -1);
    }

    /**
     * Takes an IPv6 fragment ({@code fragment.isFragment()}). Returns {@code null} when it was kept —
     * then {@link #completed()} gives the datagram if this fragment completed it — or why it was
     * dropped. Drops datagrams that timed out first.
     */
    public DropReason offer(long nowMillis, Ipv6Packet fragment) {
        return offer(nowMillis, fragment, 6, fragment.sourceHigh(), fragment.sourceLow(), fragment.destinationHigh(),
                fragment.destinationLow(), 0, fragment.fragmentIdentification(), fragment.fragmentOffset(),
                fragment.moreFragments(), fragment.fragmentHeaderOffset() - fragment.offset(),
                fragment.fragmentNamedAt() - fragment.offset());
    }

    /**
     * Returns the datagram the last offer completed, or {@code null}. Its view and buffer belong to
     * the reassembler and hold until the next offer; an IPv6 result has been re-walked like a checked
     * packet.
     */
    public IpPacket completed() {
        return completed;
    }

    /** Drops the datagrams that have waited {@code timeoutMillis} or more; returns how many (count them as {@link DropReason#REASSEMBLY_TIMEOUT}). */
    public int expire(long nowMillis) {
        int dropped = 0;
        for (int i = count - 1; i >= 0; i--) {
            if (nowMillis - datagrams[i].firstArrivalMillis >= timeoutMillis) {
                discard(datagrams[i]);
                dropped++;
            }
        }
        timedOut += dropped;
        return dropped;
    }

    /** Returns when {@link #expire} next drops something, or {@link Long#MAX_VALUE} when nothing is held. */
    public long pollAt() {
        long at = Long.MAX_VALUE;
        for (int i = 0; i < count; i++) at = Math.min(at, datagrams[i].firstArrivalMillis + timeoutMillis);
        return at;
    }

    /** Returns how many datagrams are in progress. */
    public int datagramsHeld() {
        return count;
    }

    /** Returns how many bytes of header and data buffers the datagrams in progress hold. */
    public long bytesHeld() {
        return bytesHeld;
    }

    /** Returns how many datagrams in progress the last offer dropped, oldest first, to make room (count them as {@link DropReason#REASSEMBLY_EVICTED}). */
    public int evictedByLastOffer() {
        return evictedByLastOffer;
    }

    /** Returns how many datagrams were dropped, in all, for not arriving whole in time. */
    public long timedOut() {
        return timedOut;
    }

    /**
     * Adds the fragment's data ({@code fragment.payloadOffset()}, {@code fragment.payloadLength()})
     * at {@code offset} of the datagram with the given key; {@code headerLength} bytes from the
     * packet's start are the header the result keeps, and for IPv6 {@code namedAt} (relative to the
     * start) is the next-header byte to point at the upper layer.
     */
    private DropReason offer(long nowMillis, IpPacket fragment, int version, long source, long sourceLow,
                             long destination, long destinationLow, int protocol, int identification,
                             int offset, boolean more, int headerLength, int namedAt) {
        completed = null;
        evictedByLastOffer = 0;
        expire(nowMillis);
        int length = fragment.payloadLength();
        if (length == 0 || more && length % UNIT != 0) return DropReason.FRAGMENT_BAD_LENGTH;
        int end = offset + length;
        // The IPv4 total length counts the header; the IPv6 payload length counts the extension headers.
        int counted = version == 4 ? headerLength : headerLength - Ipv6Packet.HEADER_LENGTH;
        if (counted + end > MAX_LENGTH) return DropReason.FRAGMENT_TOO_LARGE;

        Datagram d = find(version, source, sourceLow, destination, destinationLow, protocol, identification);
        if (d == null) {
            if (count == maxDatagrams) evictOldestBut(null);
            d = new Datagram(version, source, sourceLow, destination, destinationLow, protocol, identification, nowMillis);
            datagrams[count++] = d;
        }
        if (!more && (d.total >= 0 && d.total != end || d.highest > end) || more && d.total >= 0 && end > d.total) {
            discard(d);
            return DropReason.FRAGMENT_OVERLAP;
        }
        int firstUnit = offset / UNIT;
        int lastUnit = (end + UNIT - 1) / UNIT;
        int held = d.unitsHeld(firstUnit, lastUnit);
        if (held == lastUnit - firstUnit) return DropReason.FRAGMENT_DUPLICATE;
        if (held > 0) {
            discard(d);
            return DropReason.FRAGMENT_OVERLAP;
        }
        if (!reserve(d, end, offset == 0 ? headerLength : 0)) {
            discard(d);
            return DropReason.REASSEMBLY_FULL;
        }
        ByteBuffer buf = fragment.buffer();
        buf.get(fragment.payloadOffset(), d.data, offset, length);
        d.markUnits(firstUnit, lastUnit);
        d.received += length;
        d.highest = Math.max(d.highest, end);
        if (!more) d.total = end;
        if (offset == 0) {
            buf.get(fragment.offset(), d.header, 0, headerLength);
            d.namedAt = namedAt;
            d.upperProtocol = fragment.protocol();
        }
        if (d.total >= 0 && d.received == d.total) return complete(d);
        return null;
    }

    private DropReason complete(Datagram d) {
        int headerLength = d.header.length;
        int length = headerLength + d.total;
        discard(d);
        if (length - (d.version == 4 ? 0 : Ipv6Packet.HEADER_LENGTH) > MAX_LENGTH) return DropReason.FRAGMENT_TOO_LARGE;
        out.put(0, d.header, 0, headerLength);
        out.put(headerLength, d.data, 0, d.total);
        if (d.version == 4) {
            Ipv4Packet p = completedV4.wrap(out, 0, length);
            p.setTotalLength(length);
            p.setFlagsAndFragmentOffset(false, false, 0);
            Checksum.fillIpv4Header(p);
            completed = p;
            return null;
        }
        if (d.upperProtocol == IpProtocol.IPV6_FRAGMENT) return DropReason.FRAGMENT_NESTED;
        Bytes.put8(out, d.namedAt, d.upperProtocol);
        Bytes.put16(out, Ipv6Packet.PAYLOAD_LENGTH, length - Ipv6Packet.HEADER_LENGTH);
        DropReason reason = completedV6.wrapChecked(out, 0, length);
        if (reason == null && completedV6.isFragment()) return DropReason.FRAGMENT_NESTED;
        if (reason == null) completed = completedV6;
        return reason;
    }

    private Datagram find(int version, long source, long sourceLow, long destination, long destinationLow,
                          int protocol, int identification) {
        for (int i = 0; i < count; i++) {
            Datagram d = datagrams[i];
            if (d.identification == identification && d.source == source && d.destination == destination
                    && d.sourceLow == sourceLow && d.destinationLow == destinationLow && d.protocol == protocol
                    && d.version == version) {
                return d;
            }
        }
        return null;
    }

    /**
     * Grows {@code d}'s data buffer to hold {@code end} bytes and gives it a header buffer of
     * {@code headerLength} bytes (when not 0), within the byte budget, evicting the oldest other
     * datagrams if that makes it fit; returns whether it could.
     */
    private boolean reserve(Datagram d, int end, int headerLength) {
        int headerGrowth = headerLength > 0 ? headerLength - d.header.length : 0;
        int capacity = d.data.length;
        long leastGrowth = headerGrowth + Math.max(end, capacity) - capacity;
        if (d.data.length + d.header.length + leastGrowth > maxBytes) return false;
        while (bytesHeld + leastGrowth > maxBytes) {
            if (!evictOldestBut(d)) return false;
        }
        int wanted = end <= capacity ? capacity
                : Math.min(Ipv6Packet.HEADER_LENGTH + MAX_LENGTH, Math.max(end, Math.max(INITIAL_CAPACITY, 2 * capacity)));
        if (bytesHeld + headerGrowth + wanted - capacity > maxBytes) wanted = Math.max(end, capacity);
        if (bytesHeld + headerGrowth + wanted - capacity > maxBytes) return false;
        if (wanted > capacity) d.data = Arrays.copyOf(d.data, wanted);
        if (headerLength > 0) d.header = new byte[headerLength];
        bytesHeld += headerGrowth + wanted - capacity;
        return true;
    }

    /** Drops the datagram whose first fragment arrived first, other than {@code keep}; returns false when there is none. */
    private boolean evictOldestBut(Datagram keep) {
        Datagram oldest = null;
        for (int i = 0; i < count; i++) {
            Datagram d = datagrams[i];
            if (d != keep && (oldest == null || d.firstArrivalMillis - oldest.firstArrivalMillis < 0)) oldest = d;
        }
        if (oldest == null) return false;
        discard(oldest);
        evictedByLastOffer++;
        return true;
    }

    private void discard(Datagram d) {
        for (int i = 0; i < count; i++) {
            if (datagrams[i] == d) {
                bytesHeld -= d.data.length + d.header.length;
                datagrams[i] = datagrams[--count];
                datagrams[count] = null;
                return;
            }
        }
    }

    /** A datagram in progress: its key, the header and data so far, and which 8-byte units of the data arrived. */
    private static final class Datagram {
        private static final byte[] NONE = new byte[0];

        final int version;
        final long source;
        final long sourceLow;
        final long destination;
        final long destinationLow;
        final int protocol;
        final int identification;
        final long firstArrivalMillis;
        final long[] unitsArrived = new long[(MAX_LENGTH / UNIT + 64) / 64];
        byte[] header = NONE;
        byte[] data = NONE;
        int namedAt;
        int upperProtocol;
        int received;
        int highest;
        int total = -1;

        Datagram(int version, long source, long sourceLow, long destination, long destinationLow, int protocol,
                 int identification, long firstArrivalMillis) {
            this.version = version;
            this.source = source;
            this.sourceLow = sourceLow;
            this.destination = destination;
            this.destinationLow = destinationLow;
            this.protocol = protocol;
            this.identification = identification;
            this.firstArrivalMillis = firstArrivalMillis;
        }

        /** Returns how many of the units in {@code [from, to)} have arrived. */
        int unitsHeld(int from, int to) {
            int held = 0;
            for (int u = from; u < to; u++) if ((unitsArrived[u >>> 6] & 1L << u) != 0) held++;
            return held;
        }

        void markUnits(int from, int to) {
            for (int u = from; u < to; u++) unitsArrived[u >>> 6] |= 1L << u;
        }
    }
}
