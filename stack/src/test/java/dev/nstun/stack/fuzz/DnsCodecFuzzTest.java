package dev.nstun.stack.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nstun.stack.dns.DnsMessage;
import dev.nstun.stack.dns.DnsResolver;
import dev.nstun.stack.dns.NstunLikePool;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The DNS codec against any bytes: {@link DnsMessage#wrapChecked} never throws and, once it accepts,
 * neither does an accessor; the resolver answers, forwards or drops any query without throwing, and
 * an answer fits the room it promises ({@link DnsResolver#MAX_LOCAL_RESPONSE}).
 *
 * <p>Without {@code JAZZER_FUZZ=1} each target runs only its committed inputs (under
 * {@code DnsCodecFuzzTestInputs/} in the test resources); {@code bench/fuzz} fuzzes them.
 */
class DnsCodecFuzzTest {
    private static final DnsResolver FAKE_IP = new DnsResolver(DnsResolver.Mode.FAKE_IP, NstunLikePool.create(),
            DnsResolver.DEFAULT_TTL_SECONDS);
    private static final DnsResolver FORWARD = new DnsResolver(DnsResolver.Mode.FORWARD, NstunLikePool.create(),
            DnsResolver.DEFAULT_TTL_SECONDS);

    /** Any bytes as a message: every field of what the view accepts. */
    @FuzzTest
    void message(byte[] data) {
        DnsMessage m = new DnsMessage();
        if (m.wrapChecked(ByteBuffer.wrap(data), 0, data.length) != null) return;
        long sink = m.id() + m.flags() + m.opcode() + m.rcode() + m.questionCount() + m.answerCount() + m.authorityCount()
                + m.additionalCount() + m.maxUdpResponseLength() + (m.qr() ? 1 : 0) + (m.tc() ? 1 : 0);
        if (m.hasQuestion()) sink += m.questionName().length() + m.questionType() + m.questionClass() + m.questionEnd();
        if (m.hasEdns()) sink += m.ednsUdpPayloadSize() + m.ednsExtendedRcode() + m.ednsVersion() + m.ednsFlags();
        if (m.hasQuestion() && !m.sameQuestion(m)) {
            throw new AssertionError("a question differs from itself: " + m);
        }
        if (sink == Long.MIN_VALUE || m.toString().isEmpty()) throw new AssertionError(m);
    }

    /**
     * Any bytes as a query to the resolver in both modes, then as the upstream's response to that
     * query: the resolver never throws, and what it writes fits the room it asks for.
     */
    @FuzzTest
    void resolver(byte[] data) {
        for (DnsResolver resolver : new DnsResolver[] {FAKE_IP, FORWARD}) {
            ByteBuffer out = ByteBuffer.allocate(DnsResolver.MAX_LOCAL_RESPONSE);
            resolver.handle(ByteBuffer.wrap(data), 0, data.length, out);
        }
        ByteBuffer query = ByteBuffer.wrap(data);
        int maxLength = DnsResolver.maxUdpResponseLength(query, 0, data.length);
        DnsResolver.writeServfail(query, 0, data.length, ByteBuffer.allocate(DnsResolver.MAX_LOCAL_RESPONSE));
        // The upstream echoes the query with QR set: the shape of a matching response.
        byte[] response = Arrays.copyOf(data, data.length);
        if (response.length > 2) response[2] |= (byte) 0x80;
        DnsResolver.writeForwardedResponse(query, 0, data.length, response, maxLength,
                ByteBuffer.allocate(Math.max(maxLength, DnsResolver.MAX_LOCAL_RESPONSE)));
    }
}
