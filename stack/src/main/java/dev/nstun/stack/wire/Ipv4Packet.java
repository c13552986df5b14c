package dev.nstun.stack.wire;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * A re-pointable view of an IPv4 header and its payload (RFC 791). It holds no packet state of its
 * own: every accessor reads the buffer. After {@link #wrapChecked} accepts a packet, no accessor
 * throws; {@link #wrap} trusts the caller and is for packets we build.
 */
public final class Ipv4Packet implements IpPacket {
    /** Offset of the version (high nibble) and header length in 32-bit words (low nibble). */
    public static final int VERSION_IHL = 0;
    /** Offset of the DSCP (high 6 bits) and ECN (low 2 bits) byte. */
    public static final int DSCP_ECN = 1;
    /** Offset of the total length field. */
    public static final int TOTAL_LENGTH = 2;
    /** Offset of the identification field. */
    public static final int IDENTIFICATION = 4;
    /** Offset of the flags (high 3 bits) and fragment offset (low 13 bits, in 8-byte units). */
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    /** Offset of the time-to-live field. */
    public static final int TTL = 8;
    /** Offset of the protocol field. */
    public static final int PROTOCOL = 9;
    /** Offset of the header checksum field. */
    public static final int CHECKSUM = 10;
    /** Offset of the source address. */
    public static final int SOURCE = 12;
    /** Offset of the destination address. */
    public static final int DESTINATION = 16;
    /** Length of a header without options. */
    public static final int HEADER_LENGTH = 20;
    /** Length of a header with the most options the header length field can express. */
    public static final int MAX_HEADER_LENGTH = 60;
    /** The don't-fragment flag in the flags/fragment-offset field. */
    public static final int FLAG_DF = 0x4000;
    /** The more-fragments flag in the flags/fragment-offset field. */
    public static final int FLAG_MF = 0x2000;
    /** The fragment offset bits in the flags/fragment-offset field. */
    public static final int FRAGMENT_OFFSET_MASK = 0x1fff;

    private ByteBuffer buf;
    private int off;
    private int len;

    /** Returns a view that points at {@code [off, off + len)} of {@code buf} without checking it. */
    public static Ipv4Packet unchecked(ByteBuffer buf, int off, int len) {
        return new Ipv4Packet().wrap(buf, off, len);
    }

    /**
     * Points this view at the packet in {@code [off, off + len)} of {@code buf} if it is a well-formed
     * IPv4 packet, and narrows the view to its total length. Returns {@code null} when it is, else why
     * not (the view is then unusable until re-pointed). Does not verify the header checksum.
     */
    public DropReason wrapChecked(ByteBuffer buf, int off, int len) {
        if (!Bytes.fits(buf, off, len) || len < HEADER_LENGTH) return DropReason.TRUNCATED;
        int versionIhl = Bytes.u8(buf, off + VERSION_IHL);
        if (versionIhl >>> 4 != 4) return DropReason.IP_BAD_VERSION;
        int headerLength = (versionIhl & 0x0f) * 4;
        if (headerLength < HEADER_LENGTH) return DropReason.IPV4_BAD_HEADER_LENGTH;
        int totalLength = Bytes.u16(buf, off + TOTAL_LENGTH);
        if (totalLength > len) return DropReason.IPV4_BAD_TOTAL_LENGTH;
        if (headerLength > totalLength) return DropReason.IPV4_BAD_HEADER_LENGTH;
        wrap(buf, off, totalLength);
        return null;
    }

    /** Points this view at {@code [off, off + len)} of {@code buf} without checking it; returns this view. */
    public Ipv4Packet wrap(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
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
        return Bytes.u8(buf, off + VERSION_IHL) >>> 4;
    }

    /** Returns the header length in bytes (the IHL field times 4). */
    public int headerLength() {
        return (Bytes.u8(buf, off + VERSION_IHL) & 0x0f) * 4;
    }

    /** Returns the differentiated services code point. */
    public int dscp() {
        return Bytes.u8(buf, off + DSCP_ECN) >>> 2;
    }

    /** Returns the explicit congestion notification bits. */
    public int ecn() {
        return Bytes.u8(buf, off + DSCP_ECN) & 0x03;
    }

    /** Returns the total length field. */
    public int totalLength() {
        return Bytes.u16(buf, off + TOTAL_LENGTH);
    }

    /** Returns the identification field. */
    public int identification() {
        return Bytes.u16(buf, off + IDENTIFICATION);
    }

    /** Returns the don't-fragment flag. */
    public boolean dontFragment() {
        return (Bytes.u16(buf, off + FLAGS_FRAGMENT_OFFSET) & FLAG_DF) != 0;
    }

    /** Returns the more-fragments flag. */
    public boolean moreFragments() {
        return (Bytes.u16(buf, off + FLAGS_FRAGMENT_OFFSET) & FLAG_MF) != 0;
    }

    /** Returns the fragment offset in bytes. */
    public int fragmentOffset() {
        return (Bytes.u16(buf, off + FLAGS_FRAGMENT_OFFSET) & FRAGMENT_OFFSET_MASK) * 8;
    }

    @Override
    public boolean isFragment() {
        return (Bytes.u16(buf, off + FLAGS_FRAGMENT_OFFSET) & (FLAG_MF | FRAGMENT_OFFSET_MASK)) != 0;
    }

    /** Returns the time-to-live field. */
    @Override
    public int hopLimit() {
        return Bytes.u8(buf, off + TTL);
    }

    /** Returns the protocol field. */
    @Override
    public int protocol() {
        return Bytes.u8(buf, off + PROTOCOL);
    }

    /** Returns the header checksum field. */
    public int headerChecksum() {
        return Bytes.u16(buf, off + CHECKSUM);
    }

    /** Returns the source address as a big-endian int. */
    public int source() {
        return Bytes.i32(buf, off + SOURCE);
    }

    /** Returns the destination address as a big-endian int. */
    public int destination() {
        return Bytes.i32(buf, off + DESTINATION);
    }

    @Override
    public int payloadOffset() {
        return off + headerLength();
    }

    @Override
    public int payloadLength() {
        return len - headerLength();
    }

    @Override
    public int pseudoHeaderSum(int protocol, int upperLength) {
        return Checksum.pseudoHeaderV4(source(), destination(), protocol, upperLength);
    }

    @Override
    public InetAddress sourceAddress() {
        return address(source());
    }

    @Override
    public InetAddress destinationAddress() {
        return address(destination());
    }

    /** Sets version 4 and the header length in bytes (a multiple of 4 from 20 to 60). */
    public void setVersionAndHeaderLength(int headerLength) {
        Bytes.put8(buf, off + VERSION_IHL, 0x40 | headerLength / 4);
    }

    /** Sets the DSCP/ECN byte (the former type-of-service byte). */
    public void setDscpEcn(int dscpEcn) {
        Bytes.put8(buf, off + DSCP_ECN, dscpEcn);
    }

    /** Sets the total length field. */
    public void setTotalLength(int totalLength) {
        Bytes.put16(buf, off + TOTAL_LENGTH, totalLength);
    }

    /** Sets the identification field. */
    public void setIdentification(int identification) {
        Bytes.put16(buf, off + IDENTIFICATION, identification);
    }

    /** Sets the flags and the fragment offset ({@code offsetBytes} a multiple of 8). */
    public void setFlagsAndFragmentOffset(boolean dontFragment, boolean moreFragments, int offsetBytes) {
        Bytes.put16(buf, off + FLAGS_FRAGMENT_OFFSET,
                (dontFragment ? FLAG_DF : 0) | (moreFragments ? FLAG_MF : 0) | offsetBytes / 8);
    }

    /** Sets the time-to-live field. */
    public void setTtl(int ttl) {
        Bytes.put8(buf, off + TTL, ttl);
    }

    /** Sets the protocol field. */
    public void setProtocol(int protocol) {
        Bytes.put8(buf, off + PROTOCOL, protocol);
    }

    /** Sets the header checksum field. */
    public void setHeaderChecksum(int checksum) {
        Bytes.put16(buf, off + CHECKSUM, checksum);
    }

    /** Sets the source address. */
    public void setSource(int address) {
        Bytes.put32(buf, off + SOURCE, address);
    }

    /** Sets the destination address. */
    public void setDestination(int address) {
        Bytes.put32(buf, off + DESTINATION, address);
    }

    /** Returns the address for a big-endian int. */
    public static Inet4Address address(int address) {
        byte[] b = {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
        try {
            return (Inet4Address) InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 bytes are always an address", e);
        }
    }

    /** Returns the big-endian int for an address. */
    public static int toInt(Inet4Address address) {
        byte[] b = address.getAddress();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | b[3] & 0xff;
    }

    @Override
    public String toString() {
        return "IPv4 " + sourceAddress().getHostAddress() + " > " + destinationAddress().getHostAddress()
                + " proto " + protocol() + " len " + len + (isFragment() ? " frag " + fragmentOffset() : "");
    }
}
