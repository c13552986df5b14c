package dev.nstun.stack.dns;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;

/**
 * What nstun's resolver at 198.18.0.2 does with a query: answer it at once, forward it to the
 * upstream, or drop it. No threads, no clock, no I/O: the UDP glue and {@link DnsTcpServer} move the
 * bytes.
 *
 * <p>In {@link Mode#FAKE_IP} (clash's fake-ip): A and AAAA of class IN get a fake address from the
 * {@link FakeIpPool} with a short TTL, so that a later connection to it tells which name was meant
 * and a proxy can resolve the name itself; a name that is an address literal gets itself (NODATA
 * for the other family); {@code localhost} and names under it get the loopback (RFC 6761 §6.3);
 * HTTPS and SVCB get an empty NOERROR, since their address hints would bypass the fake addresses
 * (browsers then ask A/AAAA); PTR of an address in the pool's range gets its name, or NXDOMAIN when
 * no name has it. Everything else goes to the upstream. Any query but those for {@code localhost},
 * address literals and the pool's reverse names gets NXDOMAIN when its name is refused by the
 * {@link NameFilter} (the policy lets no flow reach it). In {@link Mode#FORWARD} every well-formed
 * query goes to the upstream.
 *
 * <p>In both modes a query that is malformed for us is answered as Unbound and BIND answer it: a
 * response (QR set) is dropped, since answering one could start a loop between two servers; an
 * opcode other than QUERY gets NOTIMP; a question that cannot be read, or a count of questions
 * other than 1, gets FORMERR; fewer than 12 bytes are dropped, as there is no ID to answer. In
 * fake-ip mode a query with an EDNS version other than 0 gets BADVERS (RFC 6891 §6.1.3), nstun
 * being the resolver that answers; in forward mode the upstream decides.
 *
 * <p>Thread-safe: it keeps no state of its own but the pool, which is thread-safe.
 */
public final class DnsResolver {
    /** How queries are served. */
    public enum Mode {
        /** Fake addresses for A/AAAA, remembered for the connections that follow; the rest forwarded. */
        FAKE_IP,
        /** Every query to the upstream. */
        FORWARD
    }

    /** What {@link #handle} decided. */
    public enum Outcome {
        /** The response is in {@code out}, from its position on entry to its position now. */
        ANSWERED,
        /**
         * The query must go to the upstream: send its bytes to {@link DnsUpstream#exchange}, then
         * pass the result (or null when it threw) to {@link #writeForwardedResponse}.
         */
        FORWARD,
        /** Nothing to answer (no header, or a response); {@code out} is untouched. */
        DROP
    }

    /** TTL of fake answers when none is configured: 1 second, as clash uses, so that caches forget them soon. */
    public static final int DEFAULT_TTL_SECONDS = 1;
    /**
     * Room {@link #handle} and {@link #writeServfail} need in {@code out}. A local response is at
     * most 12 + 259 (question) + 28 (AAAA) + 11 (OPT) bytes, or 12 + 78 + 12 + 255 + 11 for a PTR
     * (reverse names are at most 74 bytes), always within the 512 any UDP client accepts.
     */
    public static final int MAX_LOCAL_RESPONSE = DnsMessage.MAX_UDP_LENGTH;
    /** Largest response over TCP: what the length prefix can state. */
    public static final int MAX_TCP_RESPONSE = DnsMessage.MAX_LENGTH;

    private static final int LOOPBACK_V4 = 0x7f000001;

    private final Mode mode;
    private final FakeIpPool pool;
    private final int ttl;
    private final NameFilter names;

    /**
     * A resolver in {@code mode}; {@code pool} is required in {@link Mode#FAKE_IP} (and may be null
     * in {@link Mode#FORWARD}); {@code ttlSeconds} is the TTL of the answers it makes itself.
     */
    public DnsResolver(Mode mode, FakeIpPool pool, int ttlSeconds) {
        this(mode, pool, ttlSeconds, NameFilter.ALL);
    }

    /** A resolver as above that, in {@link Mode#FAKE_IP}, answers NXDOMAIN for the names {@code names} refuses. */
    public DnsResolver(Mode mode, FakeIpPool pool, int ttlSeconds, NameFilter names) {
        this.mode = Objects.requireNonNull(mode);
        this.pool = mode == Mode.FAKE_IP ? Objects.requireNonNull(pool, "fake-ip needs a pool") : pool;
        if (ttlSeconds < 0) throw new IllegalArgumentException("TTL " + ttlSeconds);
        this.ttl = ttlSeconds;
        this.names = Objects.requireNonNull(names);
    }

    /** Returns the mode. */
    public Mode mode() {
        return mode;
    }

    /** Returns the pool of fake addresses (null in forward mode when none was given). */
    public FakeIpPool pool() {
        return pool;
    }

    /**
     * Decides what to do with the query in {@code [offset, offset + length)} of {@code query}: on
     * {@link Outcome#ANSWERED} the response was written into {@code out} from its position, which
     * now lies just past it; otherwise {@code out} is untouched. {@code out} needs
     * {@link #MAX_LOCAL_RESPONSE} bytes of room. The query buffer is only read, its position and
     * limit unchanged. Never throws on any query bytes.
     */
    public Outcome handle(ByteBuffer query, int offset, int length, ByteBuffer out) {
        if (out.remaining() < MAX_LOCAL_RESPONSE) throw new IllegalArgumentException("out has room for " + out.remaining() + " bytes");
        DnsMessage q = new DnsMessage();
        DnsProblem problem = q.wrapChecked(query, offset, length);
        if (problem == DnsProblem.HEADER_TRUNCATED || q.qr()) return Outcome.DROP;
        if (q.opcode() != DnsMessage.OPCODE_QUERY) return answer(q, DnsMessage.NOTIMP, out);
        if (problem != null || !q.hasQuestion()) return answer(q, DnsMessage.FORMERR, out);
        if (mode == Mode.FORWARD) return Outcome.FORWARD;
        if (q.hasEdns() && q.ednsVersion() != 0) return answer(q, DnsMessage.BADVERS, out);
        boolean in = q.questionClass() == DnsMessage.CLASS_IN;
        int type = q.questionType();
        if (in && (type == DnsMessage.TYPE_A || type == DnsMessage.TYPE_AAAA)) return address(q, out);
        if (in && type == DnsMessage.TYPE_PTR) {
            byte[] address = AddressNames.fromReverseName(q.questionName());
            if (address != null && pool.inRange(address)) return pointer(q, address, out);
        }
        if (refused(q.questionName())) return answer(q, DnsMessage.NXDOMAIN, out);
        if (in && (type == DnsMessage.TYPE_HTTPS || type == DnsMessage.TYPE_SVCB)) return answer(q, DnsMessage.NOERROR, out);
        return Outcome.FORWARD;
    }

    /** Returns whether the filter refuses {@code name}; the root (empty name) carries nothing and is always served. */
    private boolean refused(String name) {
        return !name.isEmpty() && !names.serves(name);
    }

    /** A or AAAA, class IN. */
    private Outcome address(DnsMessage q, ByteBuffer out) {
        String name = q.questionName();
        if (name.isEmpty()) return Outcome.FORWARD;
        boolean ipv6 = q.questionType() == DnsMessage.TYPE_AAAA;
        if (name.equals("localhost") || name.endsWith(".localhost")) {
            DnsAnswerWriter w = DnsAnswerWriter.begin(out, q, DnsMessage.NOERROR);
            if (ipv6) w.addAaaa(ttl, 0, 1);
            else w.addA(ttl, LOOPBACK_V4);
            w.finish();
            return Outcome.ANSWERED;
        }
        byte[] literal = AddressNames.literal(name);
        if (literal != null) {
            DnsAnswerWriter w = DnsAnswerWriter.begin(out, q, DnsMessage.NOERROR);
            if (literal.length == (ipv6 ? 16 : 4)) w.addAddress(ttl, literal);
            w.finish();
            return Outcome.ANSWERED;
        }
        if (refused(name)) return answer(q, DnsMessage.NXDOMAIN, out);
        // Escaped bytes make no host name a proxy could resolve: let the upstream say what it is.
        if (WireNames.wireLength(name) < 0) return Outcome.FORWARD;
        int entry = pool.allocate(name);
        DnsAnswerWriter w = DnsAnswerWriter.begin(out, q, DnsMessage.NOERROR);
        if (ipv6) w.addAaaa(ttl, pool.ipv6High(entry), pool.ipv6Low(entry));
        else w.addA(ttl, pool.ipv4(entry));
        w.finish();
        return Outcome.ANSWERED;
    }

    /** PTR, class IN, of an address in the pool's range. */
    private Outcome pointer(DnsMessage q, byte[] address, ByteBuffer out) {
        Optional<String> name = pool.nameOf(address);
        if (name.isEmpty()) return answer(q, DnsMessage.NXDOMAIN, out);
        DnsAnswerWriter.begin(out, q, DnsMessage.NOERROR).addPtr(ttl, name.get()).finish();
        return Outcome.ANSWERED;
    }

    private static Outcome answer(DnsMessage q, int rcode, ByteBuffer out) {
        DnsAnswerWriter.begin(out, q, rcode).finish();
        return Outcome.ANSWERED;
    }

    /**
     * Returns the largest UDP response the sender of the query in {@code [offset, offset + length)}
     * accepts (see {@link DnsMessage#maxUdpResponseLength}); 512 for a query that does not parse.
     */
    public static int maxUdpResponseLength(ByteBuffer query, int offset, int length) {
        DnsMessage q = new DnsMessage();
        return q.wrapChecked(query, offset, length) == null ? q.maxUdpResponseLength() : DnsMessage.MAX_UDP_LENGTH;
    }

    /**
     * Writes SERVFAIL for the query in {@code [offset, offset + length)} into {@code out} from its
     * position, moving the position past it: what the client gets when the upstream failed. Returns
     * false, writing nothing, when the query has no header (or is a response) and so gets no answer.
     * {@code out} needs {@link #MAX_LOCAL_RESPONSE} bytes of room.
     */
    public static boolean writeServfail(ByteBuffer query, int offset, int length, ByteBuffer out) {
        DnsMessage q = new DnsMessage();
        if (q.wrapChecked(query, offset, length) == DnsProblem.HEADER_TRUNCATED || q.qr()) return false;
        answer(q, DnsMessage.SERVFAIL, out);
        return true;
    }

    /**
     * Returns whether {@code response} answers {@code query}: a well-formed response with the same
     * ID, opcode and question (name case ignored). Relay nothing else: a mismatch is a stale or
     * spoofed answer.
     */
    public static boolean responseMatches(ByteBuffer query, int queryOffset, int queryLength,
                                          ByteBuffer response, int responseOffset, int responseLength) {
        DnsMessage q = new DnsMessage();
        DnsMessage r = new DnsMessage();
        return q.wrapChecked(query, queryOffset, queryLength) == null
                && r.wrapChecked(response, responseOffset, responseLength) == null
                && r.qr() && r.id() == q.id() && r.opcode() == q.opcode() && r.sameQuestion(q);
    }

    /**
     * Writes into {@code out}, from its position, what the client of a forwarded query gets:
     * {@code response} (the upstream's, or null when the exchange failed) when it
     * {@linkplain #responseMatches matches} the query, truncated to {@code maxLength} with TC set
     * when longer ({@link DnsAnswerWriter#truncateForUdp}; give {@link #maxUdpResponseLength} for
     * UDP, {@link #MAX_TCP_RESPONSE} for TCP); else SERVFAIL. Moves {@code out}'s position past it.
     * May rewrite {@code response} in place. Returns false, writing nothing, when the query gets no
     * answer at all. {@code out} needs {@code max(MAX_LOCAL_RESPONSE, min(response.length, maxLength))}
     * bytes of room.
     */
    public static boolean writeForwardedResponse(ByteBuffer query, int offset, int length, byte[] response, int maxLength,
                                                 ByteBuffer out) {
        if (response != null && responseMatches(query, offset, length, ByteBuffer.wrap(response), 0, response.length)) {
            int n = DnsAnswerWriter.truncateForUdp(ByteBuffer.wrap(response), 0, response.length, maxLength);
            if (n > 0) {
                out.put(response, 0, n);
                return true;
            }
        }
        return writeServfail(query, offset, length, out);
    }
}
