package dev.nstun.stack.wire;

import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * What the upper layers need from either IP version: where their bytes are, which protocol they
 * are, and the pseudo-header sum their checksum covers.
 */
public sealed interface IpPacket permits Ipv4Packet, Ipv6Packet {

    /** Returns the IP version, 4 or 6. */
    int version();

    /** Returns the buffer the view reads. */
    ByteBuffer buffer();

    /** Returns the absolute offset of the IP header in {@link #buffer()}. */
    int offset();

    /** Returns the length of the packet as its header states it (trailing bytes excluded). */
    int length();

    /** Returns the upper-layer protocol (for IPv6, the next header after the extension headers). */
    int protocol();

    /** Returns the absolute offset of the upper-layer header in {@link #buffer()}. */
    int payloadOffset();

    /** Returns the length of the upper-layer header and data. */
    int payloadLength();

    /** Returns the TTL or hop limit. */
    int hopLimit();

    /** Returns whether the packet is a fragment of a larger datagram. */
    boolean isFragment();

    /** Returns the folded one's complement sum of the pseudo header for {@code protocol} and {@code upperLength} bytes. */
    int pseudoHeaderSum(int protocol, int upperLength);

    /** Returns the source address (allocates: for flow set-up and logs, not per packet). */
    InetAddress sourceAddress();

    /** Returns the destination address (allocates: for flow set-up and logs, not per packet). */
    InetAddress destinationAddress();
}
