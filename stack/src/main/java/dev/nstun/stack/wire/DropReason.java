package dev.nstun.stack.wire;

/**
 * Why a packet was not accepted. The checked wrap methods return one of these (or {@code null} for a
 * packet they accept) instead of throwing, so the hot path can count drops in an array indexed by
 * {@link #ordinal()}.
 */
public enum DropReason {
    /** The buffer ends before the fixed part of a header does. */
    TRUNCATED,
    /** The IP version field is neither the one expected nor another we handle. */
    IP_BAD_VERSION,
    /** IPv4 header length below 20 bytes or beyond the total length. */
    IPV4_BAD_HEADER_LENGTH,
    /** IPv4 total length beyond the bytes received. */
    IPV4_BAD_TOTAL_LENGTH,
    /** IPv4 header checksum does not verify. */
    IPV4_BAD_HEADER_CHECKSUM,
    /** IPv6 payload length beyond the bytes received. */
    IPV6_BAD_PAYLOAD_LENGTH,
    /** An IPv6 extension header, or an option inside one, runs past the end of the packet. */
    IPV6_EXTENSION_OVERRUN,
    /** A hop-by-hop options header somewhere other than right after the IPv6 header (RFC 8200 §4.1). */
    IPV6_MISPLACED_HOP_BY_HOP,
    /** An extension header we cannot pass: ESP, a routing header with segments left, or an option whose type says to discard the packet when not understood. */
    IPV6_UNSUPPORTED_EXTENSION,
    /** TCP data offset below 5 words or beyond the segment. */
    TCP_BAD_DATA_OFFSET,
    /** A TCP option whose length is below 2 or runs past the header. */
    TCP_BAD_OPTION_LENGTH,
    /** TCP checksum does not verify. */
    TCP_BAD_CHECKSUM,
    /** UDP length field below 8 or beyond the bytes received. */
    UDP_BAD_LENGTH,
    /** UDP checksum does not verify, or is zero over IPv6. */
    UDP_BAD_CHECKSUM,
    /** ICMP or ICMPv6 checksum does not verify. */
    ICMP_BAD_CHECKSUM,
    /** An upper-layer protocol the stack does not serve. */
    UNSUPPORTED_PROTOCOL,
    /** A fragment that is empty, or not the last one and not a multiple of 8 bytes long. */
    FRAGMENT_BAD_LENGTH,
    /** Fragments that would reassemble past the 65535 bytes a length field can state. */
    FRAGMENT_TOO_LARGE,
    /** A fragment that repeats data already held; the datagram is still being reassembled. */
    FRAGMENT_DUPLICATE,
    /** A fragment that partly overlaps, or disagrees about where the datagram ends: the whole datagram is dropped. */
    FRAGMENT_OVERLAP,
    /** A reassembled IPv6 datagram that is itself a fragment (another fragment header, RFC 8200 §4.5): dropped, not passed on as whole. */
    FRAGMENT_NESTED,
    /** A datagram too large for the reassembler's byte budget even alone: the fragment's datagram is dropped. */
    REASSEMBLY_FULL,
    /** A datagram in progress dropped, oldest first, to make room for a newer one when the reassembler was full. */
    REASSEMBLY_EVICTED,
    /** A datagram whose fragments did not all arrive in time. */
    REASSEMBLY_TIMEOUT
}
