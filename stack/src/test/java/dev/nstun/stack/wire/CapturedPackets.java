package dev.nstun.stack.wire;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Real packets, as Linux 6.x sent them between two network namespaces over a veth pair with checksum
 * offload turned off (so every checksum is real), captured with tcpdump and printed as {@code
 * tcpdump -x} does: IP header first, link header dropped. Addresses: 198.18.0.1 and 198.18.0.2,
 * fd00:6e73::1 and fd00:6e73::2. Each comment is tcpdump's own reading of the packet.
 */
public final class CapturedPackets {

    /** 198.18.0.1.40736 > 198.18.0.2.8080: Flags [S], seq 1037804125, win 64240, options [mss 1460,sackOK,TS val 580043848 ecr 0,nop,wscale 10]; IPv4 id 61793, DF, ttl 64, checksums 0xbd32 (IP) and 0x3b20 (TCP). */
    public static final byte[] TCP4_SYN = hex("""
            4500 003c f161 4000 4006 bd32 c612 0001
            c612 0002 9f20 1f90 3ddb a25d 0000 0000
            a002 faf0 3b20 0000 0204 05b4 0402 080a
            2292 c448 0000 0000 0103 030a
            """);

    /** 198.18.0.2.8080 > 198.18.0.1.40736: Flags [S.], seq 4231213851, ack 1037804126, win 65160, options [mss 1460,sackOK,TS val 1666587282 ecr 580043848,nop,wscale 10]; IPv4 id 0, DF. */
    static final byte[] TCP4_SYN_ACK = hex("""
            4500 003c 0000 4000 4006 ae94 c612 0002
            c612 0001 1f90 9f20 fc33 331b 3ddb a25e
            a012 fe88 8a3f 0000 0204 05b4 0402 080a
            6356 1a92 2292 c448 0103 030a
            """);

    /** 198.18.0.1.40736 > 198.18.0.2.8080: Flags [P.], seq 1037804126:1037804131, ack 4231213852, win 63, options [nop,nop,TS val 580043849 ecr 1666587282], payload "ping\n"; TCP checksum 0xce79. */
    static final byte[] TCP4_DATA = hex("""
            4500 0039 f163 4000 4006 bd33 c612 0001
            c612 0002 9f20 1f90 3ddb a25e fc33 331c
            8018 003f ce79 0000 0101 080a 2292 c449
            6356 1a92 7069 6e67 0a
            """);

    /** [fd00:6e73::1].47084 > [fd00:6e73::2].8080: Flags [S], seq 3984679181, win 64800, options [mss 1440,sackOK,TS val 1907536420 ecr 0,nop,wscale 10]; flow label 0x459c9, hop limit 64, TCP checksum 0x2a22. */
    public static final byte[] TCP6_SYN = hex("""
            6004 59c9 0028 0640 fd00 6e73 0000 0000
            0000 0000 0000 0001 fd00 6e73 0000 0000
            0000 0000 0000 0002 b7ec 1f90 ed81 610d
            0000 0000 a002 fd20 2a22 0000 0204 05a0
            0402 080a 71b2 b224 0000 0000 0103 030a
            """);

    /** [fd00:6e73::1].47084 > [fd00:6e73::2].8080: Flags [P.], seq 3984679182:3984679187, ack 4128835270, win 64, options [nop,nop,TS val 1907536420 ecr 907018307], payload "ping\n"; TCP checksum 0x399d. */
    static final byte[] TCP6_DATA = hex("""
            6004 59c9 0025 0640 fd00 6e73 0000 0000
            0000 0000 0000 0001 fd00 6e73 0000 0000
            0000 0000 0000 0002 b7ec 1f90 ed81 610e
            f619 06c6 8018 0040 399d 0000 0101 080a
            71b2 b224 3610 0043 7069 6e67 0a
            """);

    /** 198.18.0.1.34055 > 198.18.0.2.5353: UDP, payload "nstun-udp\n"; IPv4 id 23382, DF; UDP checksum 0xa32c. */
    public static final byte[] UDP4 = hex("""
            4500 0026 5b56 4000 4011 5349 c612 0001
            c612 0002 8507 14e9 0012 a32c 6e73 7475
            6e2d 7564 700a
            """);

    /** [fd00:6e73::1].42201 > [fd00:6e73::2].5353: UDP, payload "nstun-udp\n"; flow label 0xe25a0; UDP checksum 0x3897. */
    public static final byte[] UDP6 = hex("""
            600e 25a0 0012 1140 fd00 6e73 0000 0000
            0000 0000 0000 0001 fd00 6e73 0000 0000
            0000 0000 0000 0002 a4d9 14e9 0012 3897
            6e73 7475 6e2d 7564 700a
            """);

    /** 198.18.0.2 > 198.18.0.1: ICMP udp port 9 unreachable (type 3 code 3, checksum 0x8945), quoting the whole 35-byte datagram 198.18.0.1.34055 > 198.18.0.2.9 "closed\n"; IPv4 tos 0xc0, id 33762, no DF. */
    static final byte[] ICMP4_PORT_UNREACHABLE = hex("""
            45c0 003f 83e2 0000 4001 69f4 c612 0002
            c612 0001 0303 8945 0000 0000 4500 0023
            5b57 4000 4011 534b c612 0001 c612 0002
            8507 0009 000f ac53 636c 6f73 6564 0a
            """);

    /** fd00:6e73::2 > fd00:6e73::1: ICMP6 destination unreachable, unreachable port (type 1 code 4, checksum 0x9cf3), quoting the whole 55-byte packet [fd00:6e73::1].42201 > [fd00:6e73::2].9 "closed\n". */
    static final byte[] ICMP6_PORT_UNREACHABLE = hex("""
            6006 21eb 003f 3a40 fd00 6e73 0000 0000
            0000 0000 0000 0002 fd00 6e73 0000 0000
            0000 0000 0000 0001 0104 9cf3 0000 0000
            600a 196a 000f 1140 fd00 6e73 0000 0000
            0000 0000 0000 0001 fd00 6e73 0000 0000
            0000 0000 0000 0002 a4d9 0009 000f 41be
            636c 6f73 6564 0a
            """);

    /** 198.18.0.1 > 198.18.0.2: ICMP echo request, id 5469, seq 1, 56 bytes of data (checksum 0x0bc2); IPv4 id 38692, DF. */
    public static final byte[] ICMP4_ECHO_REQUEST = hex("""
            4500 0054 9724 4000 4001 175d c612 0001
            c612 0002 0800 0bc2 155d 0001 2ea7 066b
            0000 0000 e1fa 0100 0000 0000 1011 1213
            1415 1617 1819 1a1b 1c1d 1e1f 2021 2223
            2425 2627 2829 2a2b 2c2d 2e2f 3031 3233
            3435 3637
            """);

    /** fd00:6e73::1 > fd00:6e73::2: ICMP6 echo request, id 5470, seq 1, 56 bytes of data (checksum 0xdb40). */
    public static final byte[] ICMP6_ECHO_REQUEST = hex("""
            600a 0431 0040 3a40 fd00 6e73 0000 0000
            0000 0000 0000 0001 fd00 6e73 0000 0000
            0000 0000 0000 0002 8000 db40 155e 0001
            2ea7 066b 0000 0000 c214 0200 0000 0000
            1011 1213 1415 1617 1819 1a1b 1c1d 1e1f
            2021 2223 2425 2627 2829 2a2b 2c2d 2e2f
            3031 3233 3435 3637
            """);

    /** [fd00:6e73::1].60372 > [fd00:6e73::2].5354: hop-by-hop (PadN 4) then destination options (PadN 4) then UDP, payload "ext\n" (Linux sticky IPV6_HOPOPTS and IPV6_DSTOPTS). */
    static final byte[] UDP6_HOP_BY_HOP_DESTINATION_OPTIONS = hex("""
            6008 7a60 001c 0040 fd00 6e73 0000 0000
            0000 0000 0000 0001 fd00 6e73 0000 0000
            0000 0000 0000 0002 3c00 0104 0000 0000
            1100 0104 0000 0000 ebd4 14ea 000c 4ea9
            6578 740a
            """);

    /** :: > ff02::16: hop-by-hop (router alert 0, PadN 0) then an ICMP6 multicast listener report v2, hop limit 1. */
    static final byte[] MLD2_REPORT_HOP_BY_HOP = hex("""
            6000 0000 0038 0001 0000 0000 0000 0000
            0000 0000 0000 0000 ff02 0000 0000 0000
            0000 0000 0000 0016 3a00 0502 0000 0100
            8f00 b2c1 0000 0002 0400 0000 ff02 0000
            0000 0000 0000 0001 ffa2 ba0a 0400 0000
            ff02 0000 0000 0000 0000 0001 ff00 0002
            """);

    /** 198.18.0.1 > 198.18.0.2: first fragment (id 38712, offset 0, MF) of a 1428-byte ICMP echo request (ping -s 1400, id 5475, seq 1) over MTU 1280. */
    static final byte[] ICMP4_FRAGMENT_FIRST = hex("""
            4500 04fc 9738 2000 4001 32a1 c612 0001
            c612 0002 0800 0925 1563 0001 2ea7 066b
            0000 0000 2f48 0a00 0000 0000 1011 1213
            1415 1617 1819 1a1b 1c1d 1e1f 2021 2223
            2425 2627 2829 2a2b 2c2d 2e2f 3031 3233
            3435 3637 3839 3a3b 3c3d 3e3f 4041 4243
            4445 4647 4849 4a4b 4c4d 4e4f 5051 5253
            5455 5657 5859 5a5b 5c5d 5e5f 6061 6263
            6465 6667 6869 6a6b 6c6d 6e6f 7071 7273
            7475 7677 7879 7a7b 7c7d 7e7f 8081 8283
            8485 8687 8889 8a8b 8c8d 8e8f 9091 9293
            9495 9697 9899 9a9b 9c9d 9e9f a0a1 a2a3
            a4a5 a6a7 a8a9 aaab acad aeaf b0b1 b2b3
            b4b5 b6b7 b8b9 babb bcbd bebf c0c1 c2c3
            c4c5 c6c7 c8c9 cacb cccd cecf d0d1 d2d3
            d4d5 d6d7 d8d9 dadb dcdd dedf e0e1 e2e3
            e4e5 e6e7 e8e9 eaeb eced eeef f0f1 f2f3
            f4f5 f6f7 f8f9 fafb fcfd feff 0001 0203
            0405 0607 0809 0a0b 0c0d 0e0f 1011 1213
            1415 1617 1819 1a1b 1c1d 1e1f 2021 2223
            2425 2627 2829 2a2b 2c2d 2e2f 3031 3233
            3435 3637 3839 3a3b 3c3d 3e3f 4041 4243
            4445 4647 4849 4a4b 4c4d 4e4f 5051 5253
            5455 5657 5859 5a5b 5c5d 5e5f 6061 6263
            6465 6667 6869 6a6b 6c6d 6e6f 7071 7273
            7475 7677 7879 7a7b 7c7d 7e7f 8081 8283
            8485 8687 8889 8a8b 8c8d 8e8f 9091 9293
            9495 9697 9899 9a9b 9c9d 9e9f a0a1 a2a3
            a4a5 a6a7 a8a9 aaab acad aeaf b0b1 b2b3
            b4b5 b6b7 b8b9 babb bcbd bebf c0c1 c2c3
            c4c5 c6c7 c8c9 cacb cccd cecf d0d1 d2d3
            d4d5 d6d7 d8d9 dadb dcdd dedf e0e1 e2e3
            e4e5 e6e7 e8e9 eaeb eced eeef f0f1 f2f3
            f4f5 f6f7 f8f9 fafb fcfd feff 0001 0203
            0405 0607 0809 0a0b 0c0d 0e0f 1011 1213
            1415 1617 1819 1a1b 1c1d 1e1f 2021 2223
            2425 2627 2829 2a2b 2c2d 2e2f 3031 3233
            3435 3637 3839 3a3b 3c3d 3e3f 4041 4243
            4445 4647 4849 4a4b 4c4d 4e4f 5051 5253
            5455 5657 5859 5a5b 5c5d 5e5f 6061 6263
            6465 6667 6869 6a6b 6c6d 6e6f 7071 7273
            7475 7677 7879 7a7b 7c7d 7e7f 8081 8283
            8485 8687 8889 8a8b 8c8d 8e8f 9091 9293
            9495 9697 9899 9a9b 9c9d 9e9f a0a1 a2a3
            a4a5 a6a7 a8a9 aaab acad aeaf b0b1 b2b3
            b4b5 b6b7 b8b9 babb bcbd bebf c0c1 c2c3
            c4c5 c6c7 c8c9 cacb cccd cecf d0d1 d2d3
            d4d5 d6d7 d8d9 dadb dcdd dedf e0e1 e2e3
            e4e5 e6e7 e8e9 eaeb eced eeef f0f1 f2f3
            f4f5 f6f7 f8f9 fafb fcfd feff 0001 0203
            0405 0607 0809 0a0b 0c0d 0e0f 1011 1213
            1415 1617 1819 1a1b 1c1d 1e1f 2021 2223
            2425 2627 2829 2a2b 2c2d 2e2f 3031 3233
            3435 3637 3839 3a3b 3c3d 3e3f 4041 4243
            4445 4647 4849 4a4b 4c4d 4e4f 5051 5253
            5455 5657 5859 5a5b 5c5d 5e5f 6061 6263
            6465 6667 6869 6a6b 6c6d 6e6f 7071 7273
            7475 7677 7879 7a7b 7c7d 7e7f 8081 8283
            8485 8687 8889 8a8b 8c8d 8e8f 9091 9293
            9495 9697 9899 9a9b 9c9d 9e9f a0a1 a2a3
            a4a5 a6a7 a8a9 aaab acad aeaf b0b1 b2b3
            b4b5 b6b7 b8b9 babb bcbd bebf c0c1 c2c3
            c4c5 c6c7 c8c9 cacb cccd cecf d0d1 d2d3
            d4d5 d6d7 d8d9 dadb dcdd dedf e0e1 e2e3
            e4e5 e6e7 e8e9 eaeb eced eeef f0f1 f2f3
            f4f5 f6f7 f8f9 fafb fcfd feff 0001 0203
            0405 0607 0809 0a0b 0c0d 0e0f 1011 1213
            1415 1617 1819 1a1b 1c1d 1e1f 2021 2223
            2425 2627 2829 2a2b 2c2d 2e2f 3031 3233
            3435 3637 3839 3a3b 3c3d 3e3f 4041 4243
            4445 4647 4849 4a4b 4c4d 4e4f 5051 5253
            5455 5657 5859 5a5b 5c5d 5e5f 6061 6263
            6465 6667 6869 6a6b 6c6d 6e6f 7071 7273
            7475 7677 7879 7a7b 7c7d 7e7f 8081 8283
            8485 8687 8889 8a8b 8c8d 8e8f 9091 9293
            9495 9697 9899 9a9b 9c9d 9e9f a0a1 a2a3
            a4a5 a6a7 a8a9 aaab acad aeaf b0b1 b2b3
            b4b5 b6b7 b8b9 babb bcbd bebf c0c1 c2c3
            c4c5 c6c7 c8c9 cacb cccd cecf d0d1 d2d3
            d4d5 d6d7 d8d9 dadb dcdd dedf
            """);

    /** 198.18.0.1 > 198.18.0.2: last fragment (id 38712, offset 1256) of the same echo request. */
    static final byte[] ICMP4_FRAGMENT_LAST = hex("""
            4500 00ac 9738 009d 4001 5654 c612 0001
            c612 0002 e0e1 e2e3 e4e5 e6e7 e8e9 eaeb
            eced eeef f0f1 f2f3 f4f5 f6f7 f8f9 fafb
            fcfd feff 0001 0203 0405 0607 0809 0a0b
            0c0d 0e0f 1011 1213 1415 1617 1819 1a1b
            1c1d 1e1f 2021 2223 2425 2627 2829 2a2b
            2c2d 2e2f 3031 3233 3435 3637 3839 3a3b
            3c3d 3e3f 4041 4243 4445 4647 4849 4a4b
            4c4d 4e4f 5051 5253 5455 5657 5859 5a5b
            5c5d 5e5f 6061 6263 6465 6667 6869 6a6b
            6c6d 6e6f 7071 7273 7475 7677
            """);

    /** fd00:6e73::1 > fd00:6e73::2: fragment header (id 0xba1e6ba3, offset 0, M) then the first 1232 bytes of an ICMP6 echo request (ping -6 -s 1400, id 5476, seq 1) over MTU 1280. */
    static final byte[] ICMP6_FRAGMENT_FIRST = hex("""
            600a 0431 04d8 2c40 fd00 6e73 0000 0000
            0000 0000 0000 0001 fd00 6e73 0000 0000
            0000 0000 0000 0002 3a00 0001 ba1e 6ba3
            8000 e061 1564 0001 2ea7 066b 0000 0000
            0364 0a00 0000 0000 1011 1213 1415 1617
            1819 1a1b 1c1d 1e1f 2021 2223 2425 2627
            2829 2a2b 2c2d 2e2f 3031 3233 3435 3637
            3839 3a3b 3c3d 3e3f 4041 4243 4445 4647
            4849 4a4b 4c4d 4e4f 5051 5253 5455 5657
            5859 5a5b 5c5d 5e5f 6061 6263 6465 6667
            6869 6a6b 6c6d 6e6f 7071 7273 7475 7677
            7879 7a7b 7c7d 7e7f 8081 8283 8485 8687
            8889 8a8b 8c8d 8e8f 9091 9293 9495 9697
            9899 9a9b 9c9d 9e9f a0a1 a2a3 a4a5 a6a7
            a8a9 aaab acad aeaf b0b1 b2b3 b4b5 b6b7
            b8b9 babb bcbd bebf c0c1 c2c3 c4c5 c6c7
            c8c9 cacb cccd cecf d0d1 d2d3 d4d5 d6d7
            d8d9 dadb dcdd dedf e0e1 e2e3 e4e5 e6e7
            e8e9 eaeb eced eeef f0f1 f2f3 f4f5 f6f7
            f8f9 fafb fcfd feff 0001 0203 0405 0607
            0809 0a0b 0c0d 0e0f 1011 1213 1415 1617
            1819 1a1b 1c1d 1e1f 2021 2223 2425 2627
            2829 2a2b 2c2d 2e2f 3031 3233 3435 3637
            3839 3a3b 3c3d 3e3f 4041 4243 4445 4647
            4849 4a4b 4c4d 4e4f 5051 5253 5455 5657
            5859 5a5b 5c5d 5e5f 6061 6263 6465 6667
            6869 6a6b 6c6d 6e6f 7071 7273 7475 7677
            7879 7a7b 7c7d 7e7f 8081 8283 8485 8687
            8889 8a8b 8c8d 8e8f 9091 9293 9495 9697
            9899 9a9b 9c9d 9e9f a0a1 a2a3 a4a5 a6a7
            a8a9 aaab acad aeaf b0b1 b2b3 b4b5 b6b7
            b8b9 babb bcbd bebf c0c1 c2c3 c4c5 c6c7
            c8c9 cacb cccd cecf d0d1 d2d3 d4d5 d6d7
            d8d9 dadb dcdd dedf e0e1 e2e3 e4e5 e6e7
            e8e9 eaeb eced eeef f0f1 f2f3 f4f5 f6f7
            f8f9 fafb fcfd feff 0001 0203 0405 0607
            0809 0a0b 0c0d 0e0f 1011 1213 1415 1617
            1819 1a1b 1c1d 1e1f 2021 2223 2425 2627
            2829 2a2b 2c2d 2e2f 3031 3233 3435 3637
            3839 3a3b 3c3d 3e3f 4041 4243 4445 4647
            4849 4a4b 4c4d 4e4f 5051 5253 5455 5657
            5859 5a5b 5c5d 5e5f 6061 6263 6465 6667
            6869 6a6b 6c6d 6e6f 7071 7273 7475 7677
            7879 7a7b 7c7d 7e7f 8081 8283 8485 8687
            8889 8a8b 8c8d 8e8f 9091 9293 9495 9697
            9899 9a9b 9c9d 9e9f a0a1 a2a3 a4a5 a6a7
            a8a9 aaab acad aeaf b0b1 b2b3 b4b5 b6b7
            b8b9 babb bcbd bebf c0c1 c2c3 c4c5 c6c7
            c8c9 cacb cccd cecf d0d1 d2d3 d4d5 d6d7
            d8d9 dadb dcdd dedf e0e1 e2e3 e4e5 e6e7
            e8e9 eaeb eced eeef f0f1 f2f3 f4f5 f6f7
            f8f9 fafb fcfd feff 0001 0203 0405 0607
            0809 0a0b 0c0d 0e0f 1011 1213 1415 1617
            1819 1a1b 1c1d 1e1f 2021 2223 2425 2627
            2829 2a2b 2c2d 2e2f 3031 3233 3435 3637
            3839 3a3b 3c3d 3e3f 4041 4243 4445 4647
            4849 4a4b 4c4d 4e4f 5051 5253 5455 5657
            5859 5a5b 5c5d 5e5f 6061 6263 6465 6667
            6869 6a6b 6c6d 6e6f 7071 7273 7475 7677
            7879 7a7b 7c7d 7e7f 8081 8283 8485 8687
            8889 8a8b 8c8d 8e8f 9091 9293 9495 9697
            9899 9a9b 9c9d 9e9f a0a1 a2a3 a4a5 a6a7
            a8a9 aaab acad aeaf b0b1 b2b3 b4b5 b6b7
            b8b9 babb bcbd bebf c0c1 c2c3 c4c5 c6c7
            c8c9 cacb cccd cecf d0d1 d2d3 d4d5 d6d7
            d8d9 dadb dcdd dedf e0e1 e2e3 e4e5 e6e7
            e8e9 eaeb eced eeef f0f1 f2f3 f4f5 f6f7
            f8f9 fafb fcfd feff 0001 0203 0405 0607
            0809 0a0b 0c0d 0e0f 1011 1213 1415 1617
            1819 1a1b 1c1d 1e1f 2021 2223 2425 2627
            2829 2a2b 2c2d 2e2f 3031 3233 3435 3637
            3839 3a3b 3c3d 3e3f 4041 4243 4445 4647
            4849 4a4b 4c4d 4e4f 5051 5253 5455 5657
            5859 5a5b 5c5d 5e5f 6061 6263 6465 6667
            6869 6a6b 6c6d 6e6f 7071 7273 7475 7677
            7879 7a7b 7c7d 7e7f 8081 8283 8485 8687
            8889 8a8b 8c8d 8e8f 9091 9293 9495 9697
            9899 9a9b 9c9d 9e9f a0a1 a2a3 a4a5 a6a7
            a8a9 aaab acad aeaf b0b1 b2b3 b4b5 b6b7
            b8b9 babb bcbd bebf c0c1 c2c3 c4c5 c6c7
            """);

    /** fd00:6e73::1 > fd00:6e73::2: fragment header (id 0xba1e6ba3, offset 1232, no M) then the last 176 bytes of an ICMP6 echo request (ping -6 -s 1400). */
    static final byte[] ICMP6_FRAGMENT_LAST = hex("""
            600a 0431 00b8 2c40 fd00 6e73 0000 0000
            0000 0000 0000 0001 fd00 6e73 0000 0000
            0000 0000 0000 0002 3a00 04d0 ba1e 6ba3
            c8c9 cacb cccd cecf d0d1 d2d3 d4d5 d6d7
            d8d9 dadb dcdd dedf e0e1 e2e3 e4e5 e6e7
            e8e9 eaeb eced eeef f0f1 f2f3 f4f5 f6f7
            f8f9 fafb fcfd feff 0001 0203 0405 0607
            0809 0a0b 0c0d 0e0f 1011 1213 1415 1617
            1819 1a1b 1c1d 1e1f 2021 2223 2425 2627
            2829 2a2b 2c2d 2e2f 3031 3233 3435 3637
            3839 3a3b 3c3d 3e3f 4041 4243 4445 4647
            4849 4a4b 4c4d 4e4f 5051 5253 5455 5657
            5859 5a5b 5c5d 5e5f 6061 6263 6465 6667
            6869 6a6b 6c6d 6e6f 7071 7273 7475 7677
            """);

    /** 198.18.0.1 as the int the views use. */
    static final int V4_CLIENT = 0xc6120001;
    /** 198.18.0.2 as the int the views use. */
    static final int V4_SERVER = 0xc6120002;
    /** Upper 64 bits of fd00:6e73::1 and fd00:6e73::2. */
    static final long V6_PREFIX = 0xfd006e7300000000L;
    /** Lower 64 bits of fd00:6e73::1. */
    static final long V6_CLIENT_LOW = 1;
    /** Lower 64 bits of fd00:6e73::2. */
    static final long V6_SERVER_LOW = 2;

    private CapturedPackets() {
    }

    /** Returns the bytes of hex digits, whitespace ignored. */
    static byte[] hex(String digits) {
        return HexFormat.of().parseHex(digits.replaceAll("\\s+", ""));
    }

    /**
     * Returns a buffer holding {@code packet} at offset {@code at}, its limit right after it (a view
     * that reads one byte too far throws), the bytes before it 0xa5.
     */
    static ByteBuffer at(byte[] packet, int at, boolean direct) {
        ByteBuffer b = direct ? ByteBuffer.allocateDirect(at + packet.length) : ByteBuffer.allocate(at + packet.length);
        for (int i = 0; i < at; i++) b.put(i, (byte) 0xa5);
        b.put(at, packet);
        return b;
    }

    /** Returns a heap buffer holding {@code packet} at offset 0, its limit right after it. */
    static ByteBuffer wrap(byte[] packet) {
        return at(packet, 0, false);
    }

    /** Returns a buffer of {@code capacity} bytes of 0xa5, so that a field nobody wrote shows. */
    static ByteBuffer filled(int capacity, boolean direct) {
        ByteBuffer b = direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
        for (int i = 0; i < capacity; i++) b.put(i, (byte) 0xa5);
        return b;
    }

    /** Returns a copy of {@code [off, off + len)} of {@code buf}. */
    static byte[] bytes(ByteBuffer buf, int off, int len) {
        byte[] out = new byte[len];
        buf.get(off, out);
        return out;
    }

    /** Returns a copy of {@code [from, to)} of {@code packet}. */
    static byte[] slice(byte[] packet, int from, int to) {
        return Arrays.copyOfRange(packet, from, to);
    }

    /** Returns {@code packet} with the byte at {@code i} set to {@code value}. */
    static byte[] with(byte[] packet, int i, int value) {
        byte[] copy = packet.clone();
        copy[i] = (byte) value;
        return copy;
    }

    /** Returns {@code packet} with the 16-bit field at {@code i} set to {@code value}. */
    static byte[] with16(byte[] packet, int i, int value) {
        return with(with(packet, i, value >>> 8), i + 1, value);
    }

    /** Returns the printable form of bytes for an assertion message. */
    static String show(byte[] bytes) {
        return HexFormat.ofDelimiter(" ").formatHex(bytes);
    }
}
