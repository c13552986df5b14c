package dev.nstun.cli.it;

import java.util.ArrayList;
import java.util.List;

/**
 * A python3 script for a root command inside {@code nstun run} that writes packets straight onto
 * the TUN (an {@code AF_PACKET} socket bound to it, so no routing table of the command's kernel
 * stands in the way: what an attacker with {@code CAP_NET_RAW} can do), then prints one line per
 * packet that comes back for a while.
 *
 * <p>To each address given it sends a TCP SYN and a UDP datagram to the port given, and an ICMP
 * echo request, the datagram and the echo request carrying the payload given ("probe" unless
 * told); IPv4 packets come from 198.18.0.1, IPv6 ones from fd4e:5354:554e::1 (the
 * namespace's addresses). Lines printed: {@code unreachable FROM TYPE/CODE} for an ICMP
 * destination-unreachable, {@code echo-reply FROM}, {@code tcp FROM} or {@code udp FROM}, and
 * {@code sent N} first.
 */
final class RawProbe {
    private static final String SCRIPT = String.join("\n",
            "import socket, struct, sys, time",
            "port, listen, payload, targets = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3].encode(), sys.argv[4:]",
            "def csum(b):",
            "    if len(b) % 2: b += b'\\0'",
            "    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))",
            "    while s >> 16: s = (s & 0xffff) + (s >> 16)",
            "    return ~s & 0xffff",
            "def packet(dst, proto, body, offset):",
            "    if ':' in dst:",
            "        src, dst = socket.inet_pton(socket.AF_INET6, 'fd4e:5354:554e::1'), socket.inet_pton(socket.AF_INET6, dst)",
            "        proto = 58 if proto == 1 else proto",
            "        if proto == 58: body = bytes([128]) + body[1:]",
            "        pseudo = src + dst + struct.pack('!IxxxB', len(body), proto)",
            "        body = body[:offset] + struct.pack('!H', csum(pseudo + body)) + body[offset + 2:]",
            "        return 0x86dd, struct.pack('!IHBB', 6 << 28, len(body), proto, 64) + src + dst + body",
            "    src, dst = socket.inet_pton(socket.AF_INET, '198.18.0.1'), socket.inet_pton(socket.AF_INET, dst)",
            "    pseudo = b'' if proto == 1 else src + dst + struct.pack('!xBH', proto, len(body))",
            "    body = body[:offset] + struct.pack('!H', csum(pseudo + body)) + body[offset + 2:]",
            "    head = struct.pack('!BBHHHBBH', 0x45, 0, 20 + len(body), 7, 0, 64, proto, 0) + src + dst",
            "    head = head[:10] + struct.pack('!H', csum(head)) + head[12:]",
            "    return 0x0800, head + body",
            "sniff = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(3))",
            "sniff.bind(('nstun0', 3))",
            "out = {e: socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(e)) for e in (0x0800, 0x86dd)}",
            "sent = 0",
            "for i, dst in enumerate(targets):",
            "    for proto, body, offset in ((6, struct.pack('!HHIIBBHHH', 41000 + i, port, 1000, 0, 5 << 4, 2, 65535, 0, 0), 16),",
            "                                (17, struct.pack('!HHHH', 42000 + i, port, 8 + len(payload), 0) + payload, 6),",
            "                                (1, struct.pack('!BBHHH', 8, 0, 0, 4300 + i, 1) + payload, 2)):",
            "        ethertype, p = packet(dst, proto, body, offset)",
            "        out[ethertype].sendto(p, ('nstun0', ethertype))",
            "        sent += 1",
            "print('sent', sent, flush=True)",
            "end = time.monotonic() + listen",
            "while time.monotonic() < end:",
            "    sniff.settimeout(max(0.01, end - time.monotonic()))",
            "    try:",
            "        data, addr = sniff.recvfrom(65535)",
            "    except socket.timeout:",
            "        break",
            "    if addr[2] == socket.PACKET_OUTGOING: continue",
            "    if data[0] >> 4 == 4:",
            "        src, proto, l4 = socket.inet_ntop(socket.AF_INET, data[12:16]), data[9], data[(data[0] & 15) * 4:]",
            "        unreachable, reply = 3, 0",
            "    else:",
            "        src, proto, l4 = socket.inet_ntop(socket.AF_INET6, data[8:24]), data[6], data[40:]",
            "        unreachable, reply = 1, 129",
            "    if proto in (1, 58) and l4[0] == unreachable: print('unreachable', src, '%d/%d' % (l4[0], l4[1]), flush=True)",
            "    elif proto in (1, 58) and l4[0] == reply: print('echo-reply', src, flush=True)",
            "    elif proto == 6: print('tcp', src, flush=True)",
            "    elif proto == 17: print('udp', src, flush=True)");

    private RawProbe() {}

    /** Returns the command line: python3 running the script against {@code targets}, listening {@code listenSeconds} for answers. */
    static List<String> command(int port, double listenSeconds, String... targets) {
        return command("probe", port, listenSeconds, targets);
    }

    /** As {@link #command(int, double, String...)}, the datagrams and echo requests carrying {@code payload} (ASCII). */
    static List<String> command(String payload, int port, double listenSeconds, String... targets) {
        List<String> argv = new ArrayList<>(List.of("python3", "-c", SCRIPT, Integer.toString(port), Double.toString(listenSeconds), payload));
        argv.addAll(List.of(targets));
        return argv;
    }
}
