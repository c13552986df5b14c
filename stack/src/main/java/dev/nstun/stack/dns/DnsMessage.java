package dev.nstun.stack.dns;

import static dev.nstun.stack.dns.DnsBytes.fits;
import static dev.nstun.stack.dns.DnsBytes.u16;
import static dev.nstun.stack.dns.DnsBytes.u8;

import java.nio.ByteBuffer;

/**
 * A re-pointable view of a DNS message (RFC 1035 §4.1): the header, the single question, and
 * whether an EDNS OPT record (RFC 6891) rides in the additional section. It allocates only to
 * build the question name's {@link String}, and only when {@link #questionName} is asked for.
 *
 * <p>{@link #wrapChecked} walks every name and record once, so that no accessor throws afterwards.
 * When it reports a problem other than {@link DnsProblem#HEADER_TRUNCATED}, the header accessors
 * still work (a resolver answers FORMERR with the query's ID), and {@link #hasQuestion} says whether
 * the question was read before the problem was found. A view is not thread-safe; it is cheap, so make
 * one per thread or per call.
 */
public final class DnsMessage {
    /** Offset of the ID. */
    public static final int ID = 0;
    /** Offset of the flags: QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode. */
    public static final int FLAGS = 2;
    /** Offset of the question count. */
    public static final int QDCOUNT = 4;
    /** Offset of the answer count. */
    public static final int ANCOUNT = 6;
    /** Offset of the authority count. */
    public static final int NSCOUNT = 8;
    /** Offset of the additional count. */
    public static final int ARCOUNT = 10;
    /** Length of the header, and offset of the question. */
    public static final int HEADER_LENGTH = 12;
    /** Longest message: what a TCP length prefix (and a UDP datagram) can carry. */
    public static final int MAX_LENGTH = 65535;
    /** Largest response over UDP to a query without EDNS (RFC 1035 §4.2.1). */
    public static final int MAX_UDP_LENGTH = 512;

    /** Flag: this message is a response. */
    public static final int QR = 0x8000;
    /** Flag: authoritative answer. */
    public static final int AA = 0x0400;
    /** Flag: truncated. */
    public static final int TC = 0x0200;
    /** Flag: recursion desired. */
    public static final int RD = 0x0100;
    /** Flag: recursion available. */
    public static final int RA = 0x0080;
    /** Flag: authentic data (RFC 4035 §3.2.3). */
    public static final int AD = 0x0020;
    /** Flag: checking disabled (RFC 4035 §3.2.2). */
    public static final int CD = 0x0010;
    /** Where the 4-bit opcode sits in the flags. */
    public static final int OPCODE_SHIFT = 11;
    /** Opcode of a standard query, the only one nstun serves. */
    public static final int OPCODE_QUERY = 0;

    /** Rcode: no error (with no answers: NODATA). */
    public static final int NOERROR = 0;
    /** Rcode: the query could not be interpreted. */
    public static final int FORMERR = 1;
    /** Rcode: the server failed (here: the upstream did). */
    public static final int SERVFAIL = 2;
    /** Rcode: the name does not exist. */
    public static final int NXDOMAIN = 3;
    /** Rcode: this kind of query is not implemented. */
    public static final int NOTIMP = 4;
    /** Rcode: refused by policy. */
    public static final int REFUSED = 5;
    /** Extended rcode (RFC 6891 §6.1.3): the EDNS version is not implemented; needs an OPT record. */
    public static final int BADVERS = 16;

    /** Type: IPv4 address. */
    public static final int TYPE_A = 1;
    /** Type: authoritative name server. */
    public static final int TYPE_NS = 2;
    /** Type: canonical name. */
    public static final int TYPE_CNAME = 5;
    /** Type: start of authority. */
    public static final int TYPE_SOA = 6;
    /** Type: domain name pointer (reverse lookups). */
    public static final int TYPE_PTR = 12;
    /** Type: mail exchange. */
    public static final int TYPE_MX = 15;
    /** Type: text. */
    public static final int TYPE_TXT = 16;
    /** Type: IPv6 address. */
    public static final int TYPE_AAAA = 28;
    /** Type: service location. */
    public static final int TYPE_SRV = 33;
    /** Type: EDNS pseudo-record. */
    public static final int TYPE_OPT = 41;
    /** Type: service binding (RFC 9460). */
    public static final int TYPE_SVCB = 64;
    /** Type: HTTPS service binding (RFC 9460). */
    public static final int TYPE_HTTPS = 65;
    /** Query type: any records. */
    public static final int TYPE_ANY = 255;
    /** Class: Internet. */
    public static final int CLASS_IN = 1;

    /** Offset, inside a record after its owner name, of the type. */
    static final int RR_TYPE = 0;
    /** Offset, inside a record after its owner name, of the class (OPT: the UDP payload size). */
    static final int RR_CLASS = 2;
    /** Offset, inside a record after its owner name, of the TTL (OPT: extended rcode, version, flags). */
    static final int RR_TTL = 4;
    /** Offset, inside a record after its owner name, of the data length. */
    static final int RR_RDLENGTH = 8;
    /** Length of a record's fixed part, after its owner name. */
    static final int RR_FIXED_LENGTH = 10;
    /** OPT flag: DNSSEC OK (RFC 3225). */
    static final int EDNS_DO = 0x8000;

    private ByteBuffer buf;
    private int off;
    private int len;
    private int questionEnd;
    private int qtype;
    private int qclass;
    private int opt;
    private String name;

    /**
     * Points this view at the message in {@code [off, off + len)} of {@code buf} and validates its
     * question and records; returns {@code null} when it is well formed, else the first problem
     * found. Never throws, whatever the bytes.
     */
    public DnsProblem wrapChecked(ByteBuffer buf, int off, int len) {
        this.questionEnd = -1;
        this.qtype = -1;
        this.qclass = -1;
        this.opt = -1;
        this.name = null;
        if (!fits(buf, off, len) || len < HEADER_LENGTH) {
            this.buf = null;
            return DnsProblem.HEADER_TRUNCATED;
        }
        this.buf = buf;
        this.off = off;
        this.len = len;
        int end = off + len;
        int questions = questionCount();
        if (questions > 1) return DnsProblem.MULTIPLE_QUESTIONS;
        int p = off + HEADER_LENGTH;
        if (questions == 1) {
            p = WireNames.skip(buf, off, end, p);
            if (p < 0) return nameProblem(p);
            if (end - p < 4) return DnsProblem.TRUNCATED;
            qtype = u16(buf, p);
            qclass = u16(buf, p + 2);
            questionEnd = p + 4;
            p = questionEnd;
        }
        int beforeAdditional = answerCount() + authorityCount();
        int records = beforeAdditional + additionalCount();
        for (int i = 0; i < records; i++) {
            int fixed = WireNames.skip(buf, off, end, p);
            if (fixed < 0) return nameProblem(fixed);
            if (end - fixed < RR_FIXED_LENGTH) return DnsProblem.TRUNCATED;
            int rdlength = u16(buf, fixed + RR_RDLENGTH);
            if (end - fixed - RR_FIXED_LENGTH < rdlength) return DnsProblem.TRUNCATED;
            if (u16(buf, fixed + RR_TYPE) == TYPE_OPT) {
                // The owner is the root exactly when the name was the single zero octet.
                if (i < beforeAdditional || opt >= 0 || fixed != p + 1) return DnsProblem.BAD_OPT;
                opt = fixed;
            }
            p = fixed + RR_FIXED_LENGTH + rdlength;
        }
        return null;
    }

    private static DnsProblem nameProblem(int skipResult) {
        return skipResult == WireNames.TRUNCATED ? DnsProblem.TRUNCATED : DnsProblem.BAD_NAME;
    }

    /** Returns the buffer the view reads. */
    public ByteBuffer buffer() {
        return buf;
    }

    /** Returns the absolute offset of the message in {@link #buffer()}. */
    public int offset() {
        return off;
    }

    /** Returns the length of the message. */
    public int length() {
        return len;
    }

    /** Returns the ID field. */
    public int id() {
        return u16(buf, off + ID);
    }

    /** Returns the flags field; test it with {@link #QR}, {@link #RD} and the other flag constants. */
    public int flags() {
        return u16(buf, off + FLAGS);
    }

    /** Returns the QR flag: whether this is a response. */
    public boolean qr() {
        return (flags() & QR) != 0;
    }

    /** Returns the opcode. */
    public int opcode() {
        return flags() >>> OPCODE_SHIFT & 0xf;
    }

    /** Returns the AA flag. */
    public boolean aa() {
        return (flags() & AA) != 0;
    }

    /** Returns the TC flag. */
    public boolean tc() {
        return (flags() & TC) != 0;
    }

    /** Returns the RD flag. */
    public boolean rd() {
        return (flags() & RD) != 0;
    }

    /** Returns the RA flag. */
    public boolean ra() {
        return (flags() & RA) != 0;
    }

    /** Returns the AD flag. */
    public boolean ad() {
        return (flags() & AD) != 0;
    }

    /** Returns the CD flag. */
    public boolean cd() {
        return (flags() & CD) != 0;
    }

    /** Returns the header's 4-bit rcode (an OPT record may extend it, see {@link #ednsExtendedRcode}). */
    public int rcode() {
        return flags() & 0xf;
    }

    /** Returns the question count field. */
    public int questionCount() {
        return u16(buf, off + QDCOUNT);
    }

    /** Returns the answer count field. */
    public int answerCount() {
        return u16(buf, off + ANCOUNT);
    }

    /** Returns the authority count field. */
    public int authorityCount() {
        return u16(buf, off + NSCOUNT);
    }

    /** Returns the additional count field (an OPT record counts). */
    public int additionalCount() {
        return u16(buf, off + ARCOUNT);
    }

    /** Returns whether the question was read (the message has one, and it is well formed). */
    public boolean hasQuestion() {
        return questionEnd >= 0;
    }

    /**
     * Returns the question name lowercased, without a trailing dot, the root as {@code ""}; a dot,
     * backslash or unprintable byte inside a label appears escaped ({@code \.}, {@code \\},
     * {@code \DDD}). Only when {@link #hasQuestion}.
     */
    public String questionName() {
        if (name == null) name = WireNames.decode(buf, off, off + HEADER_LENGTH);
        return name;
    }

    /** Returns the question type, or -1 when there is no question. */
    public int questionType() {
        return qtype;
    }

    /** Returns the question class, or -1 when there is no question. */
    public int questionClass() {
        return qclass;
    }

    /** Returns the absolute offset just past the question, or -1 when there is no question. */
    public int questionEnd() {
        return questionEnd;
    }

    /**
     * Returns whether this message's question is {@code other}'s: same type, class and name, ASCII
     * case ignored (an upstream may answer in another case than asked). False when either has none.
     */
    public boolean sameQuestion(DnsMessage other) {
        return hasQuestion() && other.hasQuestion() && qtype == other.qtype && qclass == other.qclass
                && WireNames.equal(buf, off, off + HEADER_LENGTH, other.buf, other.off, other.off + HEADER_LENGTH);
    }

    /** Returns whether the additional section holds an OPT record. */
    public boolean hasEdns() {
        return opt >= 0;
    }

    /** Returns the UDP payload size the OPT record advertises (its class field). Only when {@link #hasEdns}. */
    public int ednsUdpPayloadSize() {
        return u16(buf, opt + RR_CLASS);
    }

    /** Returns the upper 8 bits of the 12-bit extended rcode. Only when {@link #hasEdns}. */
    public int ednsExtendedRcode() {
        return u8(buf, opt + RR_TTL);
    }

    /** Returns the EDNS version. Only when {@link #hasEdns}. */
    public int ednsVersion() {
        return u8(buf, opt + RR_TTL + 1);
    }

    /** Returns the EDNS flags (DO is the top bit). Only when {@link #hasEdns}. */
    public int ednsFlags() {
        return u16(buf, opt + RR_TTL + 2);
    }

    /**
     * Returns the largest response this query's sender accepts over UDP: 512 bytes without EDNS,
     * else the advertised payload size but never below 512 (RFC 6891 §6.2.5).
     */
    public int maxUdpResponseLength() {
        return hasEdns() ? Math.max(MAX_UDP_LENGTH, ednsUdpPayloadSize()) : MAX_UDP_LENGTH;
    }

    @Override
    public String toString() {
        if (buf == null) return "DNS (no header)";
        String question = hasQuestion() ? " " + questionName() + " type " + qtype + " class " + qclass : "";
        return "DNS id " + id() + (qr() ? " response rcode " + rcode() : " query") + " opcode " + opcode() + question;
    }
}
