package dev.nstun.stack.icmp;

import java.util.HexFormat;

/**
 * Echo packets as the command's kernel sends them and as the command must get them back, written
 * from the RFCs by an independent generator (a few lines of Python's struct, its own checksum), not
 * by {@code PacketBuilder}. Addresses: the command at 198.18.0.1 / fd4e:5354:554e::1, nstun's
 * resolver at 198.18.0.2 / fd4e:5354:554e::2, peers in the documentation ranges 192.0.2.0/24 and
 * 2001:db8::/32 (the fake transport stands in for them: nothing is sent anywhere).
 */
final class EchoPackets {

    /** 198.18.0.1 > 192.0.2.7: ICMP echo request, id 4660, seq 7, 35 bytes of data "nstun ping payload 0123456789abcdef"; IPv4 id 1234, DF, ttl 64. */
    static final byte[] REQUEST4 = hex("""
            4500 003f 04d2 4000 4001 add1 c612 0001
            c000 0207 0800 0efe 1234 0007 6e73 7475
            6e20 7069 6e67 2070 6179 6c6f 6164 2030
            3132 3334 3536 3738 3961 6263 6465 66
            """);

    /** 192.0.2.7 > 198.18.0.1: ICMP echo reply, id 4660, seq 7, the same data; IPv4 id 0 (the builder's first), DF, ttl 64. */
    static final byte[] REPLY4 = hex("""
            4500 003f 0000 4000 4001 b2a3 c000 0207
            c612 0001 0000 16fe 1234 0007 6e73 7475
            6e20 7069 6e67 2070 6179 6c6f 6164 2030
            3132 3334 3536 3738 3961 6263 6465 66
            """);

    /** 198.18.0.1 > 198.18.0.2 (nstun's resolver): ICMP echo request, id 4660, seq 1, the same data. */
    static final byte[] REQUEST4_RESOLVER = hex("""
            4500 003f 04d3 4000 4001 a9c3 c612 0001
            c612 0002 0800 0f04 1234 0001 6e73 7475
            6e20 7069 6e67 2070 6179 6c6f 6164 2030
            3132 3334 3536 3738 3961 6263 6465 66
            """);

    /** 198.18.0.2 > 198.18.0.1: ICMP echo reply, id 4660, seq 1, the same data; IPv4 id 0, DF, ttl 64. */
    static final byte[] REPLY4_RESOLVER = hex("""
            4500 003f 0000 4000 4001 ae96 c612 0002
            c612 0001 0000 1704 1234 0001 6e73 7475
            6e20 7069 6e67 2070 6179 6c6f 6164 2030
            3132 3334 3536 3738 3961 6263 6465 66
            """);

    /** 192.0.2.1 > 198.18.0.1: ICMP host 192.0.2.7 unreachable, quoting 198.18.0.1 > 192.0.2.7 echo request id 4660 seq 7 (IP header and the 8-byte echo header); both IPv4 ids 0, DF, ttl 64. */
    static final byte[] HOST_UNREACHABLE4 = hex("""
            4500 0038 0000 4000 4001 b2b0 c000 0201
            c612 0001 0301 fcfe 0000 0000 4500 001c
            0000 4000 4001 b2c6 c612 0001 c000 0207
            0800 e5c4 1234 0007
            """);

    /** fd4e:5354:554e::1 > 2001:db8::7: ICMP6 echo request, id 4661, seq 9, the same 35 bytes of data; hop limit 64. */
    static final byte[] REQUEST6 = hex("""
            6000 0000 002b 3a40 fd4e 5354 554e 0000
            0000 0000 0000 0001 2001 0db8 0000 0000
            0000 0000 0000 0007 8000 c2e2 1235 0009
            6e73 7475 6e20 7069 6e67 2070 6179 6c6f
            6164 2030 3132 3334 3536 3738 3961 6263
            6465 66
            """);

    /** 2001:db8::7 > fd4e:5354:554e::1: ICMP6 echo reply, id 4661, seq 9, the same data; hop limit 64, flow label 0. */
    static final byte[] REPLY6 = hex("""
            6000 0000 002b 3a40 2001 0db8 0000 0000
            0000 0000 0000 0007 fd4e 5354 554e 0000
            0000 0000 0000 0001 8100 c1e2 1235 0009
            6e73 7475 6e20 7069 6e67 2070 6179 6c6f
            6164 2030 3132 3334 3536 3738 3961 6263
            6465 66
            """);

    /** fd4e:5354:554e::1 > fd4e:5354:554e::2 (nstun's resolver): ICMP6 echo request, id 4661, seq 2. */
    static final byte[] REQUEST6_RESOLVER = hex("""
            6000 0000 002b 3a40 fd4e 5354 554e 0000
            0000 0000 0000 0001 fd4e 5354 554e 0000
            0000 0000 0000 0002 8000 4ab6 1235 0002
            6e73 7475 6e20 7069 6e67 2070 6179 6c6f
            6164 2030 3132 3334 3536 3738 3961 6263
            6465 66
            """);

    /** fd4e:5354:554e::2 > fd4e:5354:554e::1: ICMP6 echo reply, id 4661, seq 2. */
    static final byte[] REPLY6_RESOLVER = hex("""
            6000 0000 002b 3a40 fd4e 5354 554e 0000
            0000 0000 0000 0002 fd4e 5354 554e 0000
            0000 0000 0000 0001 8100 49b6 1235 0002
            6e73 7475 6e20 7069 6e67 2070 6179 6c6f
            6164 2030 3132 3334 3536 3738 3961 6263
            6465 66
            """);

    /** 2001:db8::1 > fd4e:5354:554e::1: ICMP6 address unreachable, quoting fd4e:5354:554e::1 > 2001:db8::7 echo request id 4661 seq 9 (IPv6 header and the 8-byte echo header). */
    static final byte[] ADDRESS_UNREACHABLE6 = hex("""
            6000 0000 0038 3a40 2001 0db8 0000 0000
            0000 0000 0000 0001 fd4e 5354 554e 0000
            0000 0000 0000 0001 0103 90d7 0000 0000
            6000 0000 0008 3a40 fd4e 5354 554e 0000
            0000 0000 0000 0001 2001 0db8 0000 0000
            0000 0000 0000 0007 8000 99cc 1235 0009
            """);

    /** fe80::8c1f:4ff:fe3a:1b2c > ff02::2: ICMP6 router solicitation (what the namespace's kernel sends when nstun0 comes up); hop limit 255. */
    static final byte[] ROUTER_SOLICITATION6 = hex("""
            6000 0000 0008 3aff fe80 0000 0000 0000
            8c1f 04ff fe3a 1b2c ff02 0000 0000 0000
            0000 0000 0000 0002 8500 d2b1 0000 0000
            """);

    /** 198.18.0.1 > 192.0.2.7: ICMP timestamp request (type 13), id 4660, seq 4. */
    static final byte[] TIMESTAMP4 = hex("""
            4500 0028 0000 4000 4001 b2ba c612 0001
            c000 0207 0d00 e0c7 1234 0004 0000 0000
            0000 0000 0000 0000
            """);

    /** 198.18.0.1 > 192.0.2.7: an ICMP message of 4 bytes, shorter than any ICMP header. */
    static final byte[] TRUNCATED4 = hex("""
            4500 0018 0000 4000 4001 b2ca c612 0001
            c000 0207 0800 f7ff
            """);

    /** 35 bytes of echo data every request above carries. */
    static final byte[] PAYLOAD = "nstun ping payload 0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private EchoPackets() {
    }

    /** Returns the bytes of hex digits, whitespace ignored. */
    static byte[] hex(String digits) {
        return HexFormat.of().parseHex(digits.replaceAll("\\s+", ""));
    }

    /** Returns the printable form of bytes for an assertion message. */
    static String show(byte[] bytes) {
        return HexFormat.ofDelimiter(" ").formatHex(bytes);
    }
}
