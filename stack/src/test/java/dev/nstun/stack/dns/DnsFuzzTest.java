package dev.nstun.stack.dns;

import static dev.nstun.stack.dns.DnsTestMessages.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nstun.stack.dns.DnsResolver.Mode;
import dev.nstun.stack.dns.DnsResolver.Outcome;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated messages through every entry point that reads untrusted bytes: nothing may
 * throw, and whatever the resolver answers must itself parse and carry the query's ID.
 */
class DnsFuzzTest {
    private static final int ROUNDS = 100_000;
    private static final long SEED = 0x6e7374756eL;

    private static final List<byte[]> SEEDS = List.of(
            DnsTestMessages.DIG_QUERY, DnsTestMessages.DIG_QUERY_AAAA_NOEDNS, DnsTestMessages.DIG_QUERY_TXT,
            DnsTestMessages.DIG_RESPONSE, DnsTestMessages.DIG_RESPONSE_AAAA, DnsTestMessages.DIG_RESPONSE_TXT,
            DnsTestMessages.query(1, "www.example.com", DnsMessage.TYPE_A),
            DnsTestMessages.query(2, "1.1.19.198.in-addr.arpa", DnsMessage.TYPE_PTR),
            DnsTestMessages.query(3, "0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.e.4.5.5.4.5.3.5.e.4.d.f.ip6.arpa", DnsMessage.TYPE_PTR),
            DnsTestMessages.query(4, "localhost", DnsMessage.TYPE_AAAA, DnsMessage.CLASS_IN, true),
            DnsTestMessages.query(5, "example.com", DnsMessage.TYPE_HTTPS, DnsMessage.CLASS_IN, true),
            DnsTestMessages.query(6, "1.2.3.4", DnsMessage.TYPE_A),
            DnsTestMessages.query(7, "::1", DnsMessage.TYPE_AAAA),
            hex("abcd01000001000000000000c00c00010001"),
            hex("abcd01000001000000000000016101620000010001c00c"));

    @Test
    void randomAndMutatedMessagesNeverThrow() {
        Random random = new Random(SEED);
        // A small pool, so that the fuzzer's names wrap it and the reuse path runs too.
        FakeIpPool pool = new FakeIpPool((Inet4Address) ip(new byte[] {(byte) 198, 18, 1, 0}), (Inet4Address) ip(new byte[] {(byte) 198, 18, 1, 63}),
                (Inet6Address) ip(hex("fd4e5354554e00000000000100000000")), 96, 64);
        DnsResolver fakeIp = new DnsResolver(Mode.FAKE_IP, pool, 1);
        DnsResolver forward = new DnsResolver(Mode.FORWARD, null, 1);
        ByteBuffer out = ByteBuffer.allocate(DnsResolver.MAX_LOCAL_RESPONSE);
        ByteBuffer relayed = ByteBuffer.allocate(DnsMessage.MAX_LENGTH);
        int answered = 0;
        for (int round = 0; round < ROUNDS; round++) {
            byte[] message = mutate(random, SEEDS.get(random.nextInt(SEEDS.size())));
            int off = random.nextInt(4);
            ByteBuffer buf = ByteBuffer.allocate(off + message.length).put(off, message);
            try {
                DnsResolver resolver = round % 2 == 0 ? fakeIp : forward;
                out.clear();
                Outcome outcome = resolver.handle(buf, off, message.length, out);
                if (outcome == Outcome.ANSWERED) {
                    answered++;
                    checkAnswer(message, out);
                }
                exerciseView(buf, off, message.length);
                relayed.clear();
                byte[] response = mutate(random, SEEDS.get(random.nextInt(SEEDS.size())));
                DnsResolver.writeForwardedResponse(buf, off, message.length, response, 512 + random.nextInt(800), relayed);
                DnsAnswerWriter.truncateForUdp(ByteBuffer.wrap(message.clone()), 0, message.length, 512 + random.nextInt(100));
            } catch (RuntimeException | AssertionError e) {
                fail("round " + round + " with " + hex(message) + " at offset " + off, e);
            }
        }
        assertTrue(answered > ROUNDS / 10, "answered only " + answered + " of " + ROUNDS + ": the mutations are too wild");
    }

    private static void checkAnswer(byte[] query, ByteBuffer out) {
        byte[] response = Arrays.copyOf(out.array(), out.position());
        DnsMessage r = new DnsMessage();
        assertNull(r.wrapChecked(ByteBuffer.wrap(response), 0, response.length), () -> "our answer " + hex(response));
        assertEquals((query[0] & 0xff) << 8 | query[1] & 0xff, r.id());
        assertTrue(r.qr());
        assertTrue(response.length <= DnsMessage.MAX_UDP_LENGTH);
    }

    private static void exerciseView(ByteBuffer buf, int off, int len) {
        DnsMessage m = new DnsMessage();
        DnsProblem problem = m.wrapChecked(buf, off, len);
        if (problem == DnsProblem.HEADER_TRUNCATED) return;
        m.flags();
        m.toString();
        if (m.hasQuestion()) {
            m.questionName();
            m.sameQuestion(m);
        }
        if (problem == null && m.hasEdns()) m.maxUdpResponseLength();
    }

    /** Returns a mutated copy of {@code seed}, or sometimes random bytes. */
    private static byte[] mutate(Random random, byte[] seed) {
        if (random.nextInt(10) == 0) {
            byte[] noise = new byte[random.nextInt(80)];
            random.nextBytes(noise);
            return noise;
        }
        byte[] m = seed.clone();
        int mutations = 1 + random.nextInt(4);
        for (int i = 0; i < mutations; i++) {
            switch (random.nextInt(7)) {
                case 0 -> m = Arrays.copyOf(m, random.nextInt(m.length + 1));
                case 1 -> m = Arrays.copyOf(m, m.length + 1 + random.nextInt(20));
                case 2 -> flip(random, m, 0xff);
                case 3 -> pointer(random, m);
                case 4 -> count(random, m);
                case 5 -> flip(random, m, 0xc0);
                default -> flags(random, m);
            }
        }
        return m;
    }

    private static void flip(Random random, byte[] m, int mask) {
        if (m.length > 0) m[random.nextInt(m.length)] ^= (byte) (random.nextInt(256) & mask);
    }

    /** Writes a compression pointer, often to somewhere near, sometimes anywhere. */
    private static void pointer(Random random, byte[] m) {
        if (m.length < 2) return;
        int at = random.nextInt(m.length - 1);
        int target = random.nextBoolean() ? random.nextInt(m.length) : random.nextInt(0x4000);
        m[at] = (byte) (0xc0 | target >> 8);
        m[at + 1] = (byte) target;
    }

    private static void count(Random random, byte[] m) {
        if (m.length < DnsMessage.HEADER_LENGTH) return;
        int at = DnsMessage.QDCOUNT + 2 * random.nextInt(4);
        int value = random.nextInt(3) == 0 ? random.nextInt(0x10000) : random.nextInt(3);
        m[at] = (byte) (value >> 8);
        m[at + 1] = (byte) value;
    }

    private static void flags(Random random, byte[] m) {
        if (m.length < DnsMessage.HEADER_LENGTH) return;
        m[2] = (byte) (random.nextBoolean() ? 0x01 : random.nextInt(256));
        m[3] = (byte) random.nextInt(256);
    }

    private static InetAddress ip(byte[] address) {
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
