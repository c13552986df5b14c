package dev.nstun.stack.dns;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * DNS messages for the tests: literals captured with dig against a local dnsmasq, a query builder,
 * and a reader for the answer records of a response.
 */
final class DnsTestMessages {
    private static final HexFormat HEX = HexFormat.of();

    /** {@code dig example.com A} (DiG 9.18): RD and AD set, EDNS with a 1232-byte payload and a client cookie. */
    static final byte[] DIG_QUERY = hex("ba1c01200001000000000001076578616d706c6503636f6d0000010001"
            + "00002904d000000000000c000a00081b2642b8d56eec06");
    /** dnsmasq's answer to {@link #DIG_QUERY}: one A record owned by a pointer to the question, an OPT record. */
    static final byte[] DIG_RESPONSE = hex("ba1c85800001000100000001076578616d706c6503636f6d0000010001"
            + "c00c000100010000000000045db8d822" + "00002904d0000000000000");
    /** {@code dig +noedns Example.COM AAAA}: no additional records, the name in mixed case. */
    static final byte[] DIG_QUERY_AAAA_NOEDNS = hex("561401200001000000000000074578616d706c6503434f4d00001c0001");
    /** dnsmasq's answer to {@link #DIG_QUERY_AAAA_NOEDNS}. */
    static final byte[] DIG_RESPONSE_AAAA = hex("561485800001000100000000074578616d706c6503434f4d00001c0001"
            + "c00c001c000100000000001026062800022000010248189325c81946");
    /** {@code dig big.example.org TXT}: EDNS 1232. */
    static final byte[] DIG_QUERY_TXT = hex("033f0120000100000000000103626967076578616d706c65036f726700001000010000"
            + "2904d000000000000c000a0008a79fbc4601a083c3");
    /** dnsmasq's 683-byte answer to {@link #DIG_QUERY_TXT}: three TXT records of 200 bytes each, then OPT. */
    static final byte[] DIG_RESPONSE_TXT = bigTxtResponse();

    private DnsTestMessages() {
    }

    static byte[] hex(String hex) {
        return HEX.parseHex(hex);
    }

    static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    static byte[] bytes(ByteBuffer buf, int from, int to) {
        byte[] b = new byte[to - from];
        buf.get(from, b);
        return b;
    }

    private static byte[] bigTxtResponse() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(hex("033f8580000100030000000103626967076578616d706c65036f72670000100001"));
        for (char c : new char[] {'z', 'y', 'x'}) {
            out.writeBytes(hex("c00c001000010000000000c9c8"));
            for (int i = 0; i < 200; i++) out.write(c);
        }
        out.writeBytes(hex("00002904d0000000000000"));
        return out.toByteArray();
    }

    /** A query for {@code name} (dots between labels, no escapes) with RD set, class IN, no EDNS. */
    static byte[] query(int id, String name, int type) {
        return query(id, name, type, DnsMessage.CLASS_IN, false);
    }

    /** A query with RD set and, when asked, an OPT record advertising 1232 bytes. */
    static byte[] query(int id, String name, int type, int qclass, boolean edns) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        u16(out, id);
        u16(out, DnsMessage.RD);
        u16(out, 1);
        u16(out, 0);
        u16(out, 0);
        u16(out, edns ? 1 : 0);
        out.writeBytes(name(name));
        u16(out, type);
        u16(out, qclass);
        if (edns) out.writeBytes(hex("00002904d0000000000000"));
        return out.toByteArray();
    }

    /** The wire form of {@code name}. */
    static byte[] name(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!name.isEmpty()) {
            for (String label : name.split("\\.", -1)) {
                out.write(label.length());
                out.writeBytes(label.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            }
        }
        out.write(0);
        return out.toByteArray();
    }

    /** The in-addr.arpa name of an IPv4 address. */
    static String reverseName4(byte[] a) {
        return (a[3] & 0xff) + "." + (a[2] & 0xff) + "." + (a[1] & 0xff) + "." + (a[0] & 0xff) + ".in-addr.arpa";
    }

    /** The ip6.arpa nibble name of an IPv6 address. */
    static String reverseName6(byte[] a) {
        StringBuilder name = new StringBuilder();
        for (int i = 15; i >= 0; i--) {
            name.append(Character.forDigit(a[i] & 0xf, 16)).append('.').append(Character.forDigit(a[i] >> 4 & 0xf, 16)).append('.');
        }
        return name.append("ip6.arpa").toString();
    }

    /** Returns {@code message} with the 16-bit value at {@code at} replaced. */
    static byte[] with16(byte[] message, int at, int value) {
        byte[] copy = message.clone();
        copy[at] = (byte) (value >> 8);
        copy[at + 1] = (byte) value;
        return copy;
    }

    private static void u16(ByteArrayOutputStream out, int v) {
        out.write(v >> 8);
        out.write(v);
    }

    /** One answer record as read back: owner name (presentation form), type, class, TTL and data. */
    record Rr(String name, int type, int rrClass, int ttl, byte[] rdata) {
    }

    /** Reads the answer section of the well-formed response {@code message}. */
    static List<Rr> answers(byte[] message) {
        ByteBuffer buf = ByteBuffer.wrap(message);
        DnsMessage m = new DnsMessage();
        DnsProblem problem = m.wrapChecked(buf, 0, message.length);
        if (problem != null) throw new AssertionError("response does not parse: " + problem + " " + hex(message));
        List<Rr> answers = new ArrayList<>();
        int p = m.questionEnd();
        for (int i = 0; i < m.answerCount(); i++) {
            int fixed = WireNames.skip(buf, 0, message.length, p);
            int rdlength = buf.getShort(fixed + 8) & 0xffff;
            answers.add(new Rr(WireNames.decode(buf, 0, p), buf.getShort(fixed) & 0xffff, buf.getShort(fixed + 2) & 0xffff,
                    buf.getInt(fixed + 4), bytes(buf, fixed + 10, fixed + 10 + rdlength)));
            p = fixed + 10 + rdlength;
        }
        return answers;
    }

    /** The name a PTR record's data spells (uncompressed, as ours are). */
    static String decodeName(byte[] rdata) {
        return WireNames.decode(ByteBuffer.wrap(rdata), 0, 0);
    }
}
