package dev.nstun.stack.dns;

import static dev.nstun.stack.dns.DnsBytes.put16;
import static dev.nstun.stack.dns.DnsBytes.put32;
import static dev.nstun.stack.dns.DnsBytes.put64;
import static dev.nstun.stack.dns.DnsMessage.ANCOUNT;
import static dev.nstun.stack.dns.DnsMessage.ARCOUNT;
import static dev.nstun.stack.dns.DnsMessage.FLAGS;
import static dev.nstun.stack.dns.DnsMessage.HEADER_LENGTH;
import static dev.nstun.stack.dns.DnsMessage.NSCOUNT;
import static dev.nstun.stack.dns.DnsMessage.QDCOUNT;

import java.nio.ByteBuffer;

/**
 * Writes the response to a query into a buffer, as a recursive resolver answers: the query's ID,
 * opcode, question, RD and CD flags (RFC 4035 §3.2.2 has CD copied) come back with QR and RA set,
 * then the answer records, then an OPT record when the query had one (RFC 6891 §7). Answers own
 * names through a pointer to the question, which sits at offset 12.
 *
 * <p>Usage: {@code begin(out, query, rcode)}, any {@code add*}, then {@link #finish}, which moves
 * {@code out}'s position past the response. The caller gives room: a header, a question and one
 * answer take at most 12 + 259 + 267 + 11 = 549 bytes; a buffer with less room than needed throws
 * {@link IndexOutOfBoundsException} (a caller's bug, never the query's).
 */
public final class DnsAnswerWriter {
    /**
     * The UDP payload size nstun advertises: 1232 bytes, which fits an IPv6 minimum-MTU packet
     * without fragmentation (the DNS flag day 2020 value).
     */
    public static final int EDNS_PAYLOAD_SIZE = 1232;
    private static final int ANSWER_OWNER = 0xc000 | HEADER_LENGTH;
    private static final int OPT_LENGTH = 11;

    private final ByteBuffer out;
    private final int start;
    private final boolean question;
    private final boolean edns;
    private final int ednsFlags;
    private final int rcode;
    private int p;
    private int answers;

    private DnsAnswerWriter(ByteBuffer out, int start, boolean question, boolean edns, int ednsFlags, int rcode) {
        this.out = out;
        this.start = start;
        this.question = question;
        this.edns = edns;
        this.ednsFlags = ednsFlags;
        this.rcode = rcode;
    }

    /**
     * Starts the response to {@code query} (a view whose header is readable) at {@code out}'s
     * position with {@code rcode}, which may be an extended one such as {@link DnsMessage#BADVERS}
     * when the query has EDNS. The question is copied, decompressed, when the view read one;
     * otherwise the response has none (FORMERR to a question we cannot read).
     */
    public static DnsAnswerWriter begin(ByteBuffer out, DnsMessage query, int rcode) {
        int start = out.position();
        boolean edns = query.hasEdns();
        if (rcode > 0xf && !edns) throw new IllegalArgumentException("extended rcode " + rcode + " needs EDNS");
        DnsAnswerWriter w = new DnsAnswerWriter(out, start, query.hasQuestion(), edns,
                edns ? query.ednsFlags() & DnsMessage.EDNS_DO : 0, rcode);
        int flags = DnsMessage.QR | query.flags() & (0xf << DnsMessage.OPCODE_SHIFT | DnsMessage.RD | DnsMessage.CD)
                | DnsMessage.RA | rcode & 0xf;
        put16(out, start, query.id());
        put16(out, start + FLAGS, flags);
        put64(out, start + QDCOUNT, 0);
        w.p = start + HEADER_LENGTH;
        if (w.question) {
            put16(out, start + QDCOUNT, 1);
            w.p += WireNames.copy(query.buffer(), query.offset(), query.offset() + HEADER_LENGTH, out, w.p);
            put32(out, w.p, query.questionType() << 16 | query.questionClass());
            w.p += 4;
        }
        return w;
    }

    /** Adds an A record for {@code address} (big-endian, as {@code 198.18.1.0} is {@code 0xc6120100}). */
    public DnsAnswerWriter addA(int ttl, int address) {
        put32(out, record(DnsMessage.TYPE_A, ttl, 4), address);
        return this;
    }

    /** Adds an AAAA record for the address whose high and low 64 bits are given. */
    public DnsAnswerWriter addAaaa(int ttl, long high, long low) {
        int rdata = record(DnsMessage.TYPE_AAAA, ttl, 16);
        put64(out, rdata, high);
        put64(out, rdata + 8, low);
        return this;
    }

    /** Adds an A record for a 4-byte address or an AAAA record for a 16-byte one. */
    public DnsAnswerWriter addAddress(int ttl, byte[] address) {
        int type = switch (address.length) {
            case 4 -> DnsMessage.TYPE_A;
            case 16 -> DnsMessage.TYPE_AAAA;
            default -> throw new IllegalArgumentException("address of " + address.length + " bytes");
        };
        out.put(record(type, ttl, address.length), address);
        return this;
    }

    /**
     * Adds a PTR record pointing at {@code name}, a presentation name that
     * {@link WireNames#wireLength} accepts (as every name in a {@link FakeIpPool} is).
     */
    public DnsAnswerWriter addPtr(int ttl, String name) {
        int length = WireNames.wireLength(name);
        if (length < 0) throw new IllegalArgumentException("not a host name: " + name);
        WireNames.encode(name, out, record(DnsMessage.TYPE_PTR, ttl, length));
        return this;
    }

    /** Writes an answer's owner, type, class IN, TTL and data length; returns where its data goes. */
    private int record(int type, int ttl, int rdlength) {
        if (!question) throw new IllegalStateException("answers need the question they answer");
        put16(out, p, ANSWER_OWNER);
        put16(out, p + 2 + DnsMessage.RR_TYPE, type);
        put16(out, p + 2 + DnsMessage.RR_CLASS, DnsMessage.CLASS_IN);
        put32(out, p + 2 + DnsMessage.RR_TTL, ttl);
        put16(out, p + 2 + DnsMessage.RR_RDLENGTH, rdlength);
        int rdata = p + 2 + DnsMessage.RR_FIXED_LENGTH;
        p = rdata + rdlength;
        answers++;
        return rdata;
    }

    /**
     * Adds the OPT record when the query had one, sets the counts, moves {@code out}'s position past
     * the response and returns its length.
     */
    public int finish() {
        put16(out, start + ANCOUNT, answers);
        if (edns) {
            p = writeOpt(out, p, rcode >>> 4, ednsFlags);
            put16(out, start + ARCOUNT, 1);
        }
        out.position(p);
        return p - start;
    }

    /** Writes an OPT record with no options at {@code at}; returns the offset past it. */
    private static int writeOpt(ByteBuffer out, int at, int extendedRcode, int flags) {
        out.put(at, (byte) 0);
        put16(out, at + 1 + DnsMessage.RR_TYPE, DnsMessage.TYPE_OPT);
        put16(out, at + 1 + DnsMessage.RR_CLASS, EDNS_PAYLOAD_SIZE);
        // TTL: extended rcode, version 0, flags.
        put32(out, at + 1 + DnsMessage.RR_TTL, extendedRcode << 24 | flags);
        put16(out, at + 1 + DnsMessage.RR_RDLENGTH, 0);
        return at + OPT_LENGTH;
    }

    /**
     * Makes the response in {@code [offset, offset + length)} of {@code response} fit {@code limit}
     * bytes (at least 512) for UDP, in place, and returns its new length: unchanged when it already
     * fits; else its header with TC set, its question, and an OPT record when it had one, no other
     * records (RFC 2181 §9: a client seeing TC retries over TCP). Returns -1, having changed nothing,
     * when the response has no readable question to keep.
     */
    public static int truncateForUdp(ByteBuffer response, int offset, int length, int limit) {
        if (length <= limit) return length;
        DnsMessage m = new DnsMessage();
        DnsProblem problem = m.wrapChecked(response, offset, length);
        if (problem == DnsProblem.HEADER_TRUNCATED || !m.hasQuestion()) return -1;
        boolean edns = problem == null && m.hasEdns();
        int optTtl = edns ? m.ednsExtendedRcode() << 24 | m.ednsFlags() & DnsMessage.EDNS_DO : 0;
        // Copied out first: a compressed question name may point into the header we are about to change.
        ByteBuffer question = ByteBuffer.allocate(WireNames.MAX_LENGTH + 4);
        int questionLength = WireNames.copy(response, offset, offset + HEADER_LENGTH, question, 0);
        put32(question, questionLength, m.questionType() << 16 | m.questionClass());
        questionLength += 4;
        put16(response, offset + FLAGS, m.flags() | DnsMessage.TC);
        put16(response, offset + QDCOUNT, 1);
        put32(response, offset + ANCOUNT, 0);
        put16(response, offset + ARCOUNT, edns ? 1 : 0);
        response.put(offset + HEADER_LENGTH, question, 0, questionLength);
        int end = offset + HEADER_LENGTH + questionLength;
        if (edns) end = writeOpt(response, end, optTtl >>> 24, optTtl & 0xffff);
        return end - offset;
    }
}
