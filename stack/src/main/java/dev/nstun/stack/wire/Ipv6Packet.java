package dev.nstun.stack.wire;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * A re-pointable view of an IPv6 header, its extension headers and its payload (RFC 8200).
 *
 * <p>Wrapping walks the extension-header chain once (hop-by-hop, routing, fragment, destination
 * options, AH) and remembers where the upper layer starts: {@link #protocol()},
 * {@link #payloadOffset()} and {@link #payloadLength()} describe the upper layer, not the raw
 * payload-length and next-header fields. A fragment header ends the walk ({@link #isFragment()});
 * an atomic fragment (offset 0, no more fragments, RFC 6946) does not. After {@link #wrapChecked}
 * accepts a packet, no accessor throws.
 */
public final class Ipv6Packet implements IpPacket {
    /** Offset of version (4 bits), traffic class (8 bits) and flow label (20 bits). */
    public static final int VERSION_CLASS_FLOW = 0;
    /** Offset of the payload length field. */
    public static final int PAYLOAD_LENGTH = 4;
    /** Offset of the next header field. */
    public static final int NEXT_HEADER = 6;
    /** Offset of the hop limit field. */
    public static final int HOP_LIMIT = 7;
    /** Offset of the source address. */
    public static final int SOURCE = 8;
    /** Offset of the destination address. */
    public static final int DESTINATION = 24;
    /** Length of the fixed header. */
    public static final int HEADER_LENGTH = 40;

    /** Offset, in any extension header, of its next header field. */
    static final int EXT_NEXT_HEADER = 0;
    /** Offset, in an options or routing header, of its length in 8-byte units beyond the first 8. */
    static final int EXT_LENGTH = 1;
    /** Offset, in a routing header, of its segments-left field. */
    static final int ROUTING_SEGMENTS_LEFT = 3;
    /** Offset, in a fragment header, of the fragment offset (high 13 bits) and M flag (low bit). */
    static final int FRAGMENT_OFFSET_FLAGS = 2;
    /** The fragment offset and M flag bits of that field (the two between are reserved). */
    static final int FRAGMENT_OFFSET_AND_M = 0xfff9;
    /** Offset, in a fragment header, of the identification. */
    static final int FRAGMENT_IDENTIFICATION = 4;
    /** Length of a fragment header. */
    static final int FRAGMENT_HEADER_LENGTH = 8;
    /** The one-byte padding option, the only option without a length byte. */
    static final int OPTION_PAD1 = 0;

    private ByteBuffer buf;
    private int off;
    private int len;
    private int upperProtocol;
    private int upperOffset;
    private int fragmentHeader;
    private int fragmentNamedAt;

    /** Returns a view that points at {@code [off, off + len)} of {@code buf} without checking it. */
    public static Ipv6Packet unchecked(ByteBuffer buf, int off, int len) {
        return new Ipv6Packet().wrap(buf, off, len);
    }

    /**
     * Points this view at the packet in {@code [off, off + len)} of {@code buf} if it is a well-formed
     * IPv6 packet whose extension headers we can pass, and narrows the view to 40 + payload length.
     * Returns {@code null} when it is, else why not (the view is then unusable until re-pointed).
     */
    public DropReason wrapChecked(ByteBuffer buf, int off, int len) {
        if (!Bytes.fits(buf, off, len) || len < HEADER_LENGTH) return DropReason.TRUNCATED;
        if (Bytes.u8(buf, off + VERSION_CLASS_FLOW) >>> 4 != 6) return DropReason.IP_BAD_VERSION;
        int total = HEADER_LENGTH + Bytes.u16(buf, off + PAYLOAD_LENGTH);
        if (total > len) return DropReason.IPV6_BAD_PAYLOAD_LENGTH;
        this.buf = buf;
        this.off = off;
        this.len = total;
        return walkExtensionHeaders();
    }

    /**
     * Points this view at {@code [off, off + len)} of {@code buf} without checking it (for packets we
     * built, which carry no extension headers); returns this view.
     */
    public Ipv6Packet wrap(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        walkExtensionHeaders();
        return this;
    }

    /** Finds the upper layer; returns null, or why the chain cannot be passed. Never reads past the view. */
    private DropReason walkExtensionHeaders() {
        int end = off + len;
        int next = Bytes.u8(buf, off + NEXT_HEADER);
        int namedAt = off + NEXT_HEADER;
        int p = off + HEADER_LENGTH;
        fragmentHeader = -1;
        fragmentNamedAt = -1;
        upperProtocol = next;
        upperOffset = p;
        while (true) {
            int headerLength;
            switch (next) {
                case IpProtocol.HOP_BY_HOP, IpProtocol.IPV6_DESTINATION_OPTIONS -> {
                    if (next == IpProtocol.HOP_BY_HOP && p != off + HEADER_LENGTH) {
                        return DropReason.IPV6_MISPLACED_HOP_BY_HOP;
                    }
                    if (end - p < 8) return DropReason.IPV6_EXTENSION_OVERRUN;
                    headerLength = (Bytes.u8(buf, p + EXT_LENGTH) + 1) * 8;
                    if (end - p < headerLength) return DropReason.IPV6_EXTENSION_OVERRUN;
                    DropReason options = checkOptions(p + 2, p + headerLength);
                    if (options != null) return options;
                }
                case IpProtocol.IPV6_ROUTING -> {
                    if (end - p < 8) return DropReason.IPV6_EXTENSION_OVERRUN;
                    headerLength = (Bytes.u8(buf, p + EXT_LENGTH) + 1) * 8;
                    if (end - p < headerLength) return DropReason.IPV6_EXTENSION_OVERRUN;
                    // RFC 8200 §4.4: with no segments left the header is ignored; with some, we would be a router.
                    if (Bytes.u8(buf, p + ROUTING_SEGMENTS_LEFT) != 0) return DropReason.IPV6_UNSUPPORTED_EXTENSION;
                }
                case IpProtocol.IPV6_FRAGMENT -> {
                    if (end - p < FRAGMENT_HEADER_LENGTH) return DropReason.IPV6_EXTENSION_OVERRUN;
                    headerLength = FRAGMENT_HEADER_LENGTH;
                    if ((Bytes.u16(buf, p + FRAGMENT_OFFSET_FLAGS) & FRAGMENT_OFFSET_AND_M) != 0) {
                        // A real fragment: what follows is a piece of the datagram, not headers to walk.
                        fragmentHeader = p;
                        fragmentNamedAt = namedAt;
                        upperProtocol = Bytes.u8(buf, p + EXT_NEXT_HEADER);
                        upperOffset = p + FRAGMENT_HEADER_LENGTH;
                        return null;
                    }
                }
                case IpProtocol.AH -> {
                    if (end - p < 8) return DropReason.IPV6_EXTENSION_OVERRUN;
                    headerLength = (Bytes.u8(buf, p + EXT_LENGTH) + 2) * 4;
                    if (end - p < headerLength) return DropReason.IPV6_EXTENSION_OVERRUN;
                }
                case IpProtocol.ESP -> {
                    return DropReason.IPV6_UNSUPPORTED_EXTENSION;
                }
                default -> {
                    upperProtocol = next;
                    upperOffset = p;
                    return null;
                }
            }
            next = Bytes.u8(buf, p + EXT_NEXT_HEADER);
            namedAt = p + EXT_NEXT_HEADER;
            p += headerLength;
            upperProtocol = next;
            upperOffset = p;
        }
    }

    /** Checks the type-length-value options in {@code [from, to)} of a hop-by-hop or destination options header. */
    private DropReason checkOptions(int from, int to) {
        int p = from;
        while (p < to) {
            int type = Bytes.u8(buf, p);
            if (type == OPTION_PAD1) {
                p++;
                continue;
            }
            if (to - p < 2) return DropReason.IPV6_EXTENSION_OVERRUN;
            int next = p + 2 + Bytes.u8(buf, p + 1);
            if (next > to) return DropReason.IPV6_EXTENSION_OVERRUN;
            // RFC 8200 §4.2: the two high bits of an unrecognised type say what to do; 00 is skip. We
            // recognise none that needs more than skipping (the jumbo payload option is refused here).
            if (type >>> 6 != 0) return DropReason.IPV6_UNSUPPORTED_EXTENSION;
            p = next;
        }
        return null;
    }

    @Override
    public ByteBuffer buffer() {
        return buf;
    }

    @Override
    public int offset() {
        return off;
    }

    @Override
    public int length() {
        return len;
    }

    /** Returns the version field. */
    @Override
    public int version() {
        return Bytes.u8(buf, off + VERSION_CLASS_FLOW) >>> 4;
    }

    /** Returns the traffic class field. */
    public int trafficClass() {
        return Bytes.u16(buf, off + VERSION_CLASS_FLOW) >>> 4 & 0xff;
    }

    /** Returns the flow label field. */
    public int flowLabel() {
        return Bytes.i32(buf, off + VERSION_CLASS_FLOW) & 0xfffff;
    }

    /** Returns the payload length field (extension headers included). */
    public int payloadLengthField() {
        return Bytes.u16(buf, off + PAYLOAD_LENGTH);
    }

    /** Returns the next header field of the fixed header. */
    public int nextHeader() {
        return Bytes.u8(buf, off + NEXT_HEADER);
    }

    /** Returns the hop limit field. */
    @Override
    public int hopLimit() {
        return Bytes.u8(buf, off + HOP_LIMIT);
    }

    /** Returns the upper 64 bits of the source address. */
    public long sourceHigh() {
        return Bytes.i64(buf, off + SOURCE);
    }

    /** Returns the lower 64 bits of the source address. */
    public long sourceLow() {
        return Bytes.i64(buf, off + SOURCE + 8);
    }

    /** Returns the upper 64 bits of the destination address. */
    public long destinationHigh() {
        return Bytes.i64(buf, off + DESTINATION);
    }

    /** Returns the lower 64 bits of the destination address. */
    public long destinationLow() {
        return Bytes.i64(buf, off + DESTINATION + 8);
    }

    /** Returns the protocol after the extension headers (for a fragment, the one its fragment header names). */
    @Override
    public int protocol() {
        return upperProtocol;
    }

    /** Returns the absolute offset of the upper layer (for a fragment, of the fragment's data). */
    @Override
    public int payloadOffset() {
        return upperOffset;
    }

    /** Returns the length of the upper layer (for a fragment, of the fragment's data). */
    @Override
    public int payloadLength() {
        return off + len - upperOffset;
    }

    /** Returns the length of the extension headers walked (up to and including a fragment header). */
    public int extensionHeadersLength() {
        return upperOffset - off - HEADER_LENGTH;
    }

    @Override
    public boolean isFragment() {
        return fragmentHeader >= 0;
    }

    /** Returns the fragment offset in bytes, or 0 when not a fragment. */
    public int fragmentOffset() {
        return fragmentHeader < 0 ? 0 : Bytes.u16(buf, fragmentHeader + FRAGMENT_OFFSET_FLAGS) & 0xfff8;
    }

    /** Returns the fragment header's M flag, or false when not a fragment. */
    public boolean moreFragments() {
        return fragmentHeader >= 0 && (Bytes.u16(buf, fragmentHeader + FRAGMENT_OFFSET_FLAGS) & 1) != 0;
    }

    /** Returns the fragment identification, or 0 when not a fragment. */
    public int fragmentIdentification() {
        return fragmentHeader < 0 ? 0 : Bytes.i32(buf, fragmentHeader + FRAGMENT_IDENTIFICATION);
    }

    /** Returns the absolute offset of the fragment header, or -1 when not a fragment. */
    int fragmentHeaderOffset() {
        return fragmentHeader;
    }

    /** Returns the absolute offset of the next-header byte that names the fragment header, or -1 when not a fragment. */
    int fragmentNamedAt() {
        return fragmentNamedAt;
    }

    @Override
    public int pseudoHeaderSum(int protocol, int upperLength) {
        return Checksum.pseudoHeaderV6(sourceHigh(), sourceLow(), destinationHigh(), destinationLow(), protocol, upperLength);
    }

    @Override
    public InetAddress sourceAddress() {
        return address(sourceHigh(), sourceLow());
    }

    @Override
    public InetAddress destinationAddress() {
        return address(destinationHigh(), destinationLow());
    }

    /** Sets version 6, the traffic class and the flow label. */
    public void setVersionClassFlow(int trafficClass, int flowLabel) {
        Bytes.put32(buf, off + VERSION_CLASS_FLOW, 6 << 28 | (trafficClass & 0xff) << 20 | flowLabel & 0xfffff);
    }

    /** Sets the payload length field. */
    public void setPayloadLength(int payloadLength) {
        Bytes.put16(buf, off + PAYLOAD_LENGTH, payloadLength);
    }

    /** Sets the next header field (re-wrap the view to walk the new chain). */
    public void setNextHeader(int nextHeader) {
        Bytes.put8(buf, off + NEXT_HEADER, nextHeader);
    }

    /** Sets the hop limit field. */
    public void setHopLimit(int hopLimit) {
        Bytes.put8(buf, off + HOP_LIMIT, hopLimit);
    }

    /** Sets the source address from its upper and lower 64 bits. */
    public void setSource(long high, long low) {
        Bytes.put64(buf, off + SOURCE, high);
        Bytes.put64(buf, off + SOURCE + 8, low);
    }

    /** Sets the destination address from its upper and lower 64 bits. */
    public void setDestination(long high, long low) {
        Bytes.put64(buf, off + DESTINATION, high);
        Bytes.put64(buf, off + DESTINATION + 8, low);
    }

    /** Returns the address for its upper and lower 64 bits. */
    public static Inet6Address address(long high, long low) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (high >>> (56 - 8 * i));
            b[8 + i] = (byte) (low >>> (56 - 8 * i));
        }
        try {
            return Inet6Address.getByAddress(null, b, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError("16 bytes are always an address", e);
        }
    }

    /** Returns the upper 64 bits of an address. */
    public static long high(Inet6Address address) {
        return bits(address.getAddress(), 0);
    }

    /** Returns the lower 64 bits of an address. */
    public static long low(Inet6Address address) {
        return bits(address.getAddress(), 8);
    }

    private static long bits(byte[] b, int from) {
        long v = 0;
        for (int i = from; i < from + 8; i++) v = v << 8 | (b[i] & 0xff);
        return v;
    }

    @Override
    public String toString() {
        return "IPv6 " + sourceAddress().getHostAddress() + " > " + destinationAddress().getHostAddress()
                + " next " + protocol() + " len " + len + (isFragment() ? " frag " + fragmentOffset() : "");
    }
}
