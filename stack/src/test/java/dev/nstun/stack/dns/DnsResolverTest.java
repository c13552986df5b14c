package dev.nstun.stack.dns;

import static dev.nstun.stack.dns.DnsTestMessages.DIG_QUERY;
import static dev.nstun.stack.dns.DnsTestMessages.DIG_QUERY_AAAA_NOEDNS;
import static dev.nstun.stack.dns.DnsTestMessages.DIG_QUERY_TXT;
import static dev.nstun.stack.dns.DnsTestMessages.DIG_RESPONSE;
import static dev.nstun.stack.dns.DnsTestMessages.DIG_RESPONSE_AAAA;
import static dev.nstun.stack.dns.DnsTestMessages.DIG_RESPONSE_TXT;
import static dev.nstun.stack.dns.DnsTestMessages.answers;
import static dev.nstun.stack.dns.DnsTestMessages.bytes;
import static dev.nstun.stack.dns.DnsTestMessages.decodeName;
import static dev.nstun.stack.dns.DnsTestMessages.hex;
import static dev.nstun.stack.dns.DnsTestMessages.query;
import static dev.nstun.stack.dns.DnsTestMessages.reverseName4;
import static dev.nstun.stack.dns.DnsTestMessages.reverseName6;
import static dev.nstun.stack.dns.DnsTestMessages.with16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.dns.DnsResolver.Mode;
import dev.nstun.stack.dns.DnsResolver.Outcome;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DnsResolverTest {
    private static final byte[] LOOPBACK6 = hex("00000000000000000000000000000001");

    private final FakeIpPool pool = NstunLikePool.create();
    private final DnsResolver fakeIp = new DnsResolver(Mode.FAKE_IP, pool, DnsResolver.DEFAULT_TTL_SECONDS);
    private final DnsResolver forward = new DnsResolver(Mode.FORWARD, null, DnsResolver.DEFAULT_TTL_SECONDS);

    /** The outcome of {@code resolver} for {@code query}, and the response when it answered. */
    private record Handled(Outcome outcome, byte[] response) {
        DnsMessage view() {
            DnsMessage m = new DnsMessage();
            DnsProblem problem = m.wrapChecked(ByteBuffer.wrap(response), 0, response.length);
            assertNull(problem, () -> "response does not parse: " + problem + " " + hex(response));
            return m;
        }
    }

    private static Handled handle(DnsResolver resolver, byte[] query) {
        ByteBuffer out = ByteBuffer.allocate(DnsResolver.MAX_LOCAL_RESPONSE + 5).position(5);
        ByteBuffer in = ByteBuffer.wrap(query);
        Outcome outcome = resolver.handle(in, 0, query.length, out);
        assertEquals(0, in.position(), "the query buffer's position moved");
        if (outcome != Outcome.ANSWERED) {
            assertEquals(5, out.position(), "out moved without an answer");
            return new Handled(outcome, null);
        }
        return new Handled(outcome, bytes(out, 5, out.position()));
    }

    private static Handled answered(DnsResolver resolver, byte[] query) {
        Handled h = handle(resolver, query);
        assertEquals(Outcome.ANSWERED, h.outcome());
        return h;
    }

    private static byte[] ip(String literal) {
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Asserts a NOERROR answer holding exactly one record of {@code type} and returns its data. */
    private static byte[] single(Handled h, int type, int ttl) {
        assertEquals(DnsMessage.NOERROR, h.view().rcode());
        List<DnsTestMessages.Rr> answers = answers(h.response());
        assertEquals(1, answers.size(), "answers");
        assertEquals(type, answers.get(0).type(), "type");
        assertEquals(DnsMessage.CLASS_IN, answers.get(0).rrClass());
        assertEquals(ttl, answers.get(0).ttl(), "TTL");
        return answers.get(0).rdata();
    }

    private static void assertNodata(Handled h) {
        assertEquals(Outcome.ANSWERED, h.outcome());
        assertEquals(DnsMessage.NOERROR, h.view().rcode());
        assertEquals(0, h.view().answerCount());
    }

    @Nested
    class FakeIp {
        @Test
        void aGetsAFakeAddressThePoolRemembers() {
            Handled h = answered(fakeIp, DIG_QUERY);
            DnsMessage r = h.view();
            assertEquals(0xba1c, r.id());
            assertTrue(r.qr() && r.rd() && r.ra());
            assertTrue(r.sameQuestion(parsedQuery(DIG_QUERY)));
            assertTrue(r.hasEdns(), "the query had EDNS");
            byte[] address = single(h, DnsMessage.TYPE_A, 1);
            assertArrayEquals(ip("198.18.1.0"), address);
            assertEquals(Optional.of("example.com"), pool.nameOf(address));
        }

        @Test
        void aaaaGetsAFakeAddress() {
            byte[] address = single(answered(fakeIp, DIG_QUERY_AAAA_NOEDNS), DnsMessage.TYPE_AAAA, 1);
            assertArrayEquals(ip("fd4e:5354:554e::1:0:0"), address);
            assertEquals(Optional.of("example.com"), pool.nameOf(address));
        }

        @Test
        void sameNameSameAddressesInBothFamilies() {
            byte[] a = single(answered(fakeIp, query(1, "www.example.com", DnsMessage.TYPE_A)), DnsMessage.TYPE_A, 1);
            byte[] b = single(answered(fakeIp, query(2, "WWW.example.COM", DnsMessage.TYPE_A)), DnsMessage.TYPE_A, 1);
            byte[] other = single(answered(fakeIp, query(3, "example.org", DnsMessage.TYPE_A)), DnsMessage.TYPE_A, 1);
            byte[] v6 = single(answered(fakeIp, query(4, "www.example.com", DnsMessage.TYPE_AAAA)), DnsMessage.TYPE_AAAA, 1);
            assertArrayEquals(a, b);
            assertFalse(Arrays.equals(a, other));
            assertArrayEquals(ip("fd4e:5354:554e::1:0:0"), v6, "entry 0, as its IPv4 address is");
            assertEquals(2, pool.size());
        }

        @Test
        void ttlIsConfigurable() {
            DnsResolver resolver = new DnsResolver(Mode.FAKE_IP, pool, 30);
            single(answered(resolver, query(1, "example.com", DnsMessage.TYPE_A)), DnsMessage.TYPE_A, 30);
        }

        @Test
        void literalAddressesAnswerThemselves() {
            assertArrayEquals(ip("1.2.3.4"), single(answered(fakeIp, query(1, "1.2.3.4", DnsMessage.TYPE_A)), DnsMessage.TYPE_A, 1));
            assertArrayEquals(ip("2001:db8::1"),
                    single(answered(fakeIp, query(2, "2001:DB8::1", DnsMessage.TYPE_AAAA)), DnsMessage.TYPE_AAAA, 1));
            assertArrayEquals(hex("00000000000000000000ffff01020304"),
                    single(answered(fakeIp, query(3, "::ffff:1.2.3.4", DnsMessage.TYPE_AAAA)), DnsMessage.TYPE_AAAA, 1));
            assertEquals(0, pool.size());
        }

        @Test
        void literalOfTheOtherFamilyIsNodata() {
            assertNodata(handle(fakeIp, query(1, "1.2.3.4", DnsMessage.TYPE_AAAA)));
            assertNodata(handle(fakeIp, query(2, "::1", DnsMessage.TYPE_A)));
            assertEquals(0, pool.size());
        }

        @ParameterizedTest
        @ValueSource(strings = {"01.2.3.4", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4x", "fe80::1x", ":::"})
        void almostLiteralsGetFakeAddresses(String name) {
            byte[] address = single(answered(fakeIp, query(1, name, DnsMessage.TYPE_A)), DnsMessage.TYPE_A, 1);
            assertEquals(Optional.of(name), pool.nameOf(address));
        }

        @ParameterizedTest
        @ValueSource(strings = {"localhost", "LocalHost", "foo.localhost", "a.b.localhost"})
        void localhostIsTheLoopback(String name) {
            assertArrayEquals(ip("127.0.0.1"), single(answered(fakeIp, query(1, name, DnsMessage.TYPE_A)), DnsMessage.TYPE_A, 1));
            assertArrayEquals(LOOPBACK6, single(answered(fakeIp, query(1, name, DnsMessage.TYPE_AAAA)), DnsMessage.TYPE_AAAA, 1));
            assertEquals(0, pool.size());
        }

        @Test
        void namesThatOnlyLookLikeLocalhostAreFake() {
            single(answered(fakeIp, query(1, "localhost.example", DnsMessage.TYPE_A)), DnsMessage.TYPE_A, 1);
            single(answered(fakeIp, query(2, "notlocalhost", DnsMessage.TYPE_A)), DnsMessage.TYPE_A, 1);
            assertEquals(2, pool.size());
        }

        @ParameterizedTest
        @ValueSource(ints = {DnsMessage.TYPE_HTTPS, DnsMessage.TYPE_SVCB})
        void serviceBindingsAreEmpty(int type) {
            Handled h = answered(fakeIp, query(1, "example.com", type, DnsMessage.CLASS_IN, true));
            assertNodata(h);
            assertTrue(h.view().hasEdns());
            assertEquals(0, pool.size());
        }

        @Test
        void ptrOfAFakeIpv4AddressIsItsName() {
            InetAddress address = pool.addressFor("www.example.com", false);
            byte[] rdata = single(answered(fakeIp, query(9, reverseName4(address.getAddress()), DnsMessage.TYPE_PTR)), DnsMessage.TYPE_PTR, 1);
            assertEquals("www.example.com", decodeName(rdata));
        }

        @Test
        void ptrOfAFakeIpv6AddressIsItsName() {
            pool.addressFor("first.example", true);
            InetAddress address = pool.addressFor("www.example.com", true);
            String name = reverseName6(address.getAddress());
            assertEquals("1.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.e.4.5.5.4.5.3.5.e.4.d.f.ip6.arpa", name);
            byte[] rdata = single(answered(fakeIp, query(9, name.toUpperCase(), DnsMessage.TYPE_PTR)), DnsMessage.TYPE_PTR, 1);
            assertEquals("www.example.com", decodeName(rdata));
        }

        @Test
        void ptrOfAnUnknownAddressInRangeIsNxdomain() {
            Handled v4 = answered(fakeIp, query(1, reverseName4(ip("198.19.3.4")), DnsMessage.TYPE_PTR));
            assertEquals(DnsMessage.NXDOMAIN, v4.view().rcode());
            Handled v6 = answered(fakeIp, query(2, reverseName6(ip("fd4e:5354:554e::1:0:5")), DnsMessage.TYPE_PTR));
            assertEquals(DnsMessage.NXDOMAIN, v6.view().rcode());
            assertEquals(0, v6.view().answerCount());
        }

        @ParameterizedTest
        @ValueSource(strings = {"8.8.8.8.in-addr.arpa", "2.0.18.198.in-addr.arpa", "18.198.in-addr.arpa", "in-addr.arpa",
                "1.2.3.4.5.in-addr.arpa", "01.1.19.198.in-addr.arpa", "x.1.19.198.in-addr.arpa",
                "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.e.4.5.5.4.5.3.5.e.4.d.f.ip6.arpa",
                "0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.e.4.5.5.4.5.3.5.e.4.d.f.ip6.arpa",
                "10.0.0.0.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.e.4.5.5.4.5.3.5.e.4.d.f.ip6.arpa",
                "1.0.0.0.0.0.0.0.g.0.0.0.0.0.0.0.0.0.0.0.e.4.5.5.4.5.3.5.e.4.d.f.ip6.arpa", "ip6.arpa"})
        void otherPtrQueriesAreForwarded(String name) {
            assertEquals(Outcome.FORWARD, handle(fakeIp, query(1, name, DnsMessage.TYPE_PTR)).outcome());
        }

        @ParameterizedTest
        @ValueSource(ints = {DnsMessage.TYPE_MX, DnsMessage.TYPE_TXT, DnsMessage.TYPE_SRV, DnsMessage.TYPE_NS, DnsMessage.TYPE_SOA,
                DnsMessage.TYPE_CNAME, DnsMessage.TYPE_ANY, 99, 0xffff})
        void otherTypesAreForwarded(int type) {
            assertEquals(Outcome.FORWARD, handle(fakeIp, query(1, "example.com", type)).outcome());
            assertEquals(0, pool.size());
        }

        @Test
        void otherClassesAreForwarded() {
            assertEquals(Outcome.FORWARD, handle(fakeIp, query(1, "version.bind", DnsMessage.TYPE_TXT, 3, false)).outcome());
            assertEquals(Outcome.FORWARD, handle(fakeIp, query(1, "example.com", DnsMessage.TYPE_A, 3, false)).outcome());
            assertEquals(0, pool.size());
        }

        @Test
        void rootAndEscapedNamesAreForwarded() {
            assertEquals(Outcome.FORWARD, handle(fakeIp, query(1, "", DnsMessage.TYPE_A)).outcome());
            assertEquals(Outcome.FORWARD, handle(fakeIp, hex("abcd01000001000000000000" + "03612e62000001" + "0001")).outcome());
            assertEquals(Outcome.FORWARD, handle(fakeIp, hex("abcd01000001000000000000" + "0361206200001c" + "0001")).outcome());
            assertEquals(0, pool.size());
        }

        @Test
        void otherEdnsVersionIsBadvers() {
            byte[] q = hex("abcd01000001000000000001" + "076578616d706c6503636f6d0000010001" + "0000291000000100000000");
            DnsMessage r = answered(fakeIp, q).view();
            assertEquals(0, r.rcode());
            assertEquals(1, r.ednsExtendedRcode());
            assertEquals(0, r.answerCount());
            assertEquals(0, pool.size());
            assertEquals(Outcome.FORWARD, handle(forward, q).outcome(), "in forward mode the upstream decides");
        }
    }

    private static DnsMessage parsedQuery(byte[] query) {
        DnsMessage m = new DnsMessage();
        m.wrapChecked(ByteBuffer.wrap(query), 0, query.length);
        return m;
    }

    /** A filter that serves example.com and its subdomains only, and remembers what it was asked. */
    @Nested
    class Filtered {
        private final List<String> asked = new java.util.ArrayList<>();
        private final DnsResolver filtered = new DnsResolver(Mode.FAKE_IP, pool, DnsResolver.DEFAULT_TTL_SECONDS, name -> {
            asked.add(name);
            return name.equals("example.com") || name.endsWith(".example.com");
        });

        @ParameterizedTest
        @ValueSource(ints = {DnsMessage.TYPE_A, DnsMessage.TYPE_AAAA, DnsMessage.TYPE_HTTPS, DnsMessage.TYPE_TXT, DnsMessage.TYPE_MX,
                DnsMessage.TYPE_PTR})
        void aRefusedNameGetsNxdomainForEveryTypeAndNoAddress(int type) {
            Handled h = answered(filtered, query(7, "leak.example.org", type));
            assertEquals(DnsMessage.NXDOMAIN, h.view().rcode());
            assertEquals(0, h.view().answerCount());
            assertEquals(0, pool.size(), "a refused name takes no fake address");
            assertEquals(List.of("leak.example.org"), asked);
        }

        @Test
        void aServedNameIsAnsweredAndForwardedAsWithoutAFilter() {
            single(answered(filtered, query(1, "www.example.com", DnsMessage.TYPE_A)), DnsMessage.TYPE_A, 1);
            assertEquals(Outcome.FORWARD, handle(filtered, query(2, "example.com", DnsMessage.TYPE_TXT)).outcome());
            assertEquals(List.of("www.example.com", "example.com"), asked);
        }

        @Test
        void itsOwnNamesAreNeverFiltered() {
            single(answered(filtered, query(1, "localhost", DnsMessage.TYPE_A)), DnsMessage.TYPE_A, 1);
            single(answered(filtered, query(2, "192.0.2.1", DnsMessage.TYPE_A)), DnsMessage.TYPE_A, 1);
            assertEquals(DnsMessage.NXDOMAIN, answered(filtered, query(3, reverseName4(ip("198.19.3.4")), DnsMessage.TYPE_PTR)).view().rcode(),
                    "a fake address without a name: the pool's own answer");
            assertEquals(List.of(), asked);
        }

        @Test
        void forwardModeIgnoresTheFilter() {
            DnsResolver forwarding = new DnsResolver(Mode.FORWARD, null, 1, name -> false);
            assertEquals(Outcome.FORWARD, handle(forwarding, query(1, "leak.example.org", DnsMessage.TYPE_A)).outcome());
        }
    }

    @Nested
    class Forward {
        @ParameterizedTest
        @ValueSource(ints = {DnsMessage.TYPE_A, DnsMessage.TYPE_AAAA, DnsMessage.TYPE_HTTPS, DnsMessage.TYPE_PTR, DnsMessage.TYPE_MX})
        void everyWellFormedQueryIsForwarded(int type) {
            assertEquals(Outcome.FORWARD, handle(forward, query(1, "localhost", type)).outcome());
            assertEquals(Outcome.FORWARD, handle(forward, query(1, "1.0.18.198.in-addr.arpa", type)).outcome());
        }

        @Test
        void forwardModeNeedsNoPool() {
            assertNull(forward.pool());
            assertEquals(Mode.FORWARD, forward.mode());
            assertThrows(NullPointerException.class, () -> new DnsResolver(Mode.FAKE_IP, null, 1));
        }
    }

    /** Malformed queries get the same treatment in both modes. */
    @Nested
    class Malformed {
        private void inBothModes(byte[] query, Outcome outcome, int rcode) {
            for (DnsResolver resolver : List.of(fakeIp, forward)) {
                Handled h = handle(resolver, query);
                assertEquals(outcome, h.outcome(), resolver.mode().toString());
                if (outcome == Outcome.ANSWERED) {
                    assertEquals(rcode, h.view().rcode(), resolver.mode() + " rcode");
                    assertEquals((query[0] & 0xff) << 8 | query[1] & 0xff, h.view().id());
                    assertTrue(h.view().qr());
                }
            }
            assertEquals(0, pool.size());
        }

        @Test
        void lessThanAHeaderIsDropped() {
            inBothModes(Arrays.copyOf(DIG_QUERY, 11), Outcome.DROP, 0);
            inBothModes(new byte[0], Outcome.DROP, 0);
        }

        @Test
        void responsesAreDropped() {
            inBothModes(DIG_RESPONSE, Outcome.DROP, 0);
        }

        @ParameterizedTest
        @ValueSource(ints = {1, 2, 4, 5, 6, 15})
        void otherOpcodesAreNotImplemented(int opcode) {
            byte[] q = with16(DIG_QUERY, DnsMessage.FLAGS, opcode << DnsMessage.OPCODE_SHIFT | DnsMessage.RD);
            inBothModes(q, Outcome.ANSWERED, DnsMessage.NOTIMP);
            DnsMessage r = answered(fakeIp, q).view();
            assertEquals(opcode, r.opcode());
            assertTrue(r.sameQuestion(parsedQuery(DIG_QUERY)));
        }

        @Test
        void otherOpcodeWithAnUnreadableQuestionIsStillNotImplemented() {
            byte[] q = hex("abcd2800000100000000000000");
            inBothModes(q, Outcome.ANSWERED, DnsMessage.NOTIMP);
            assertFalse(answered(fakeIp, q).view().hasQuestion());
        }

        @Test
        void noQuestionIsFormerr() {
            inBothModes(hex("abcd01000000000000000000"), Outcome.ANSWERED, DnsMessage.FORMERR);
        }

        @Test
        void twoQuestionsAreFormerr() {
            byte[] q = hex("abcd01000002000000000000" + "0161000001000101620000010001");
            inBothModes(q, Outcome.ANSWERED, DnsMessage.FORMERR);
            assertEquals(0, answered(fakeIp, q).view().questionCount());
        }

        @ParameterizedTest
        @ValueSource(strings = {"c00c00010001", "0161c00c00010001", "c3ff00010001", "4000010001", "40", "0161", "01610000"})
        void unreadableQuestionIsFormerr(String question) {
            inBothModes(hex("abcd01000001000000000000" + question), Outcome.ANSWERED, DnsMessage.FORMERR);
        }

        @Test
        void brokenAdditionalSectionIsFormerrWithTheQuestion() {
            byte[] q = hex("abcd01000001000000000002" + "0000010001" + "00002904d0000000000000" + "00002904d0000000000000");
            inBothModes(q, Outcome.ANSWERED, DnsMessage.FORMERR);
            assertTrue(answered(forward, q).view().hasQuestion());
            inBothModes(Arrays.copyOf(DIG_QUERY, DIG_QUERY.length - 2), Outcome.ANSWERED, DnsMessage.FORMERR);
        }

        @Test
        void outNeedsRoom() {
            assertThrows(IllegalArgumentException.class,
                    () -> fakeIp.handle(ByteBuffer.wrap(DIG_QUERY), 0, DIG_QUERY.length, ByteBuffer.allocate(100)));
        }
    }

    @Nested
    class Upstream {
        @Test
        void servfailForAFailedExchange() {
            ByteBuffer out = ByteBuffer.allocate(DnsResolver.MAX_LOCAL_RESPONSE);
            assertTrue(DnsResolver.writeServfail(ByteBuffer.wrap(DIG_QUERY), 0, DIG_QUERY.length, out));
            byte[] response = bytes(out, 0, out.position());
            DnsMessage r = parsedQuery(response);
            assertEquals(DnsMessage.SERVFAIL, r.rcode());
            assertEquals(0xba1c, r.id());
            assertTrue(r.qr());
            assertTrue(r.sameQuestion(parsedQuery(DIG_QUERY)));
            assertTrue(r.hasEdns());
        }

        @Test
        void noServfailWithoutAHeader() {
            ByteBuffer out = ByteBuffer.allocate(DnsResolver.MAX_LOCAL_RESPONSE);
            assertFalse(DnsResolver.writeServfail(ByteBuffer.wrap(DIG_QUERY), 0, 5, out));
            assertFalse(DnsResolver.writeServfail(ByteBuffer.wrap(DIG_RESPONSE), 0, DIG_RESPONSE.length, out));
            assertEquals(0, out.position());
        }

        @Test
        void responseMatchesItsQuery() {
            assertTrue(matches(DIG_QUERY, DIG_RESPONSE));
            assertTrue(matches(DIG_QUERY_AAAA_NOEDNS, DIG_RESPONSE_AAAA));
            assertTrue(matches(query(0x5614, "example.com", DnsMessage.TYPE_AAAA), DIG_RESPONSE_AAAA), "case differs");
        }

        @Test
        void responseForAnotherQueryDoesNot() {
            assertFalse(matches(DIG_QUERY, with16(DIG_RESPONSE, DnsMessage.ID, 0xba1d)), "id");
            assertFalse(matches(DIG_QUERY_AAAA_NOEDNS, DIG_RESPONSE), "id and question");
            assertFalse(matches(with16(DIG_QUERY_AAAA_NOEDNS, 12 + 13, DnsMessage.TYPE_A), DIG_RESPONSE_AAAA), "type");
            assertFalse(matches(query(0x5614, "example.org", DnsMessage.TYPE_AAAA), DIG_RESPONSE_AAAA), "name");
            assertFalse(matches(DIG_QUERY, DIG_QUERY), "not a response");
            assertFalse(matches(DIG_QUERY, Arrays.copyOf(DIG_RESPONSE, 40)), "truncated");
            assertFalse(matches(DIG_QUERY, Arrays.copyOf(DIG_RESPONSE, 12)), "no question");
        }

        private static boolean matches(byte[] query, byte[] response) {
            return DnsResolver.responseMatches(ByteBuffer.wrap(query), 0, query.length, ByteBuffer.wrap(response), 0, response.length);
        }

        private static byte[] relay(byte[] query, byte[] response, int maxLength) {
            ByteBuffer out = ByteBuffer.allocate(2000).position(3);
            assertTrue(DnsResolver.writeForwardedResponse(ByteBuffer.wrap(query), 0, query.length, response, maxLength, out));
            return bytes(out, 3, out.position());
        }

        @Test
        void relaysAMatchingResponseAsItIs() {
            assertArrayEquals(DIG_RESPONSE, relay(DIG_QUERY, DIG_RESPONSE.clone(), 1232));
        }

        @Test
        void servfailInsteadOfAFailureOrAMismatch() {
            assertEquals(DnsMessage.SERVFAIL, parsedQuery(relay(DIG_QUERY, null, 1232)).rcode());
            assertEquals(DnsMessage.SERVFAIL, parsedQuery(relay(DIG_QUERY, DIG_RESPONSE_AAAA.clone(), 1232)).rcode());
            assertEquals(DnsMessage.SERVFAIL, parsedQuery(relay(DIG_QUERY, new byte[3], 1232)).rcode());
            assertEquals(0xba1c, parsedQuery(relay(DIG_QUERY, null, 1232)).id());
        }

        @Test
        void truncatesForAClientWithoutEdns() {
            byte[] q = DIG_QUERY_TXT.clone();
            // The same query without its OPT record: the client accepts 512 bytes.
            byte[] noEdns = with16(Arrays.copyOf(q, 12 + 17 + 4), DnsMessage.ARCOUNT, 0);
            int limit = DnsResolver.maxUdpResponseLength(ByteBuffer.wrap(noEdns), 0, noEdns.length);
            assertEquals(512, limit);
            byte[] relayed = relay(noEdns, DIG_RESPONSE_TXT.clone(), limit);
            DnsMessage r = parsedQuery(relayed);
            assertTrue(r.tc());
            assertEquals(0, r.answerCount());
            assertEquals(0x033f, r.id());
            assertEquals("big.example.org", r.questionName());
        }

        @Test
        void noTruncationWhenTheClientTakesIt() {
            int limit = DnsResolver.maxUdpResponseLength(ByteBuffer.wrap(DIG_QUERY_TXT), 0, DIG_QUERY_TXT.length);
            assertEquals(1232, limit);
            assertArrayEquals(DIG_RESPONSE_TXT, relay(DIG_QUERY_TXT, DIG_RESPONSE_TXT.clone(), limit));
            assertArrayEquals(DIG_RESPONSE_TXT, relay(DIG_QUERY_TXT, DIG_RESPONSE_TXT.clone(), DnsResolver.MAX_TCP_RESPONSE));
        }

        @Test
        void udpLimitOfAQueryThatDoesNotParseIs512() {
            assertEquals(512, DnsResolver.maxUdpResponseLength(ByteBuffer.wrap(DIG_QUERY), 0, 20));
        }
    }
}
