package dev.nstun.stack.dns;

import static dev.nstun.stack.dns.DnsTestMessages.DIG_QUERY;
import static dev.nstun.stack.dns.DnsTestMessages.DIG_QUERY_AAAA_NOEDNS;
import static dev.nstun.stack.dns.DnsTestMessages.DIG_RESPONSE;
import static dev.nstun.stack.dns.DnsTestMessages.DIG_RESPONSE_AAAA;
import static dev.nstun.stack.dns.DnsTestMessages.DIG_RESPONSE_TXT;
import static dev.nstun.stack.dns.DnsTestMessages.hex;
import static dev.nstun.stack.dns.DnsTestMessages.query;
import static dev.nstun.stack.dns.DnsTestMessages.with16;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class DnsMessageTest {

    private static DnsMessage parse(byte[] message) {
        DnsMessage m = new DnsMessage();
        DnsProblem problem = m.wrapChecked(ByteBuffer.wrap(message), 0, message.length);
        assertNull(problem, () -> "problem: got " + problem + ", want none");
        return m;
    }

    private static DnsProblem problemOf(byte[] message) {
        return new DnsMessage().wrapChecked(ByteBuffer.wrap(message), 0, message.length);
    }

    /** A query whose question is {@code question} (raw bytes, type and class included). */
    private static byte[] withQuestion(String question) {
        return hex("abcd01000001000000000000" + question);
    }

    @Nested
    class Deconstruct {
        @Test
        void digQueryWithCookie() {
            DnsMessage m = parse(DIG_QUERY);
            assertEquals(0xba1c, m.id());
            assertEquals(0x0120, m.flags());
            assertFalse(m.qr());
            assertEquals(DnsMessage.OPCODE_QUERY, m.opcode());
            assertTrue(m.rd());
            assertTrue(m.ad(), "dig sets AD in queries");
            assertFalse(m.aa() || m.tc() || m.ra() || m.cd());
            assertEquals(0, m.rcode());
            assertEquals(1, m.questionCount());
            assertEquals(0, m.answerCount());
            assertEquals(0, m.authorityCount());
            assertEquals(1, m.additionalCount());
            assertTrue(m.hasQuestion());
            assertEquals("example.com", m.questionName());
            assertEquals(DnsMessage.TYPE_A, m.questionType());
            assertEquals(DnsMessage.CLASS_IN, m.questionClass());
            assertEquals(12 + 13 + 4, m.questionEnd());
            assertTrue(m.hasEdns());
            assertEquals(1232, m.ednsUdpPayloadSize());
            assertEquals(0, m.ednsVersion());
            assertEquals(0, m.ednsExtendedRcode());
            assertEquals(0, m.ednsFlags());
            assertEquals(1232, m.maxUdpResponseLength());
        }

        @Test
        void queryWithoutEdnsHasItsNameLowercased() {
            DnsMessage m = parse(DIG_QUERY_AAAA_NOEDNS);
            assertEquals("example.com", m.questionName());
            assertEquals(DnsMessage.TYPE_AAAA, m.questionType());
            assertFalse(m.hasEdns());
            assertEquals(512, m.maxUdpResponseLength());
        }

        @Test
        void responseWithCompressedAnswer() {
            DnsMessage m = parse(DIG_RESPONSE);
            assertTrue(m.qr());
            assertTrue(m.aa());
            assertTrue(m.ra());
            assertEquals(0x8580, m.flags());
            assertEquals(1, m.answerCount());
            assertTrue(m.hasEdns());
            assertTrue(m.sameQuestion(parse(DIG_QUERY)));
        }

        @Test
        void bigTxtResponse() {
            DnsMessage m = parse(DIG_RESPONSE_TXT);
            assertEquals(683, m.length());
            assertEquals(3, m.answerCount());
            assertEquals("big.example.org", m.questionName());
            assertEquals(DnsMessage.TYPE_TXT, m.questionType());
            assertTrue(m.hasEdns());
        }

        @Test
        void sameQuestionIgnoresCaseOnly() {
            assertTrue(parse(DIG_RESPONSE_AAAA).sameQuestion(parse(query(1, "example.com", DnsMessage.TYPE_AAAA))));
            assertFalse(parse(DIG_RESPONSE_AAAA).sameQuestion(parse(query(1, "example.com", DnsMessage.TYPE_A))));
            assertFalse(parse(DIG_RESPONSE_AAAA).sameQuestion(parse(query(1, "example.org", DnsMessage.TYPE_AAAA))));
            assertFalse(parse(DIG_RESPONSE_AAAA).sameQuestion(parse(query(1, "example.co", DnsMessage.TYPE_AAAA))));
            assertFalse(parse(DIG_RESPONSE_AAAA).sameQuestion(parse(query(1, "example.com", DnsMessage.TYPE_AAAA, 3, false))));
        }

        @Test
        void viewAtAnOffsetOfALittleEndianBuffer() {
            ByteBuffer buf = ByteBuffer.allocate(DIG_QUERY.length + 10).order(ByteOrder.LITTLE_ENDIAN);
            buf.put(7, DIG_QUERY);
            DnsMessage m = new DnsMessage();
            assertNull(m.wrapChecked(buf, 7, DIG_QUERY.length));
            assertEquals(0xba1c, m.id());
            assertEquals("example.com", m.questionName());
            assertEquals(7 + 29, m.questionEnd());
            assertEquals(1232, m.ednsUdpPayloadSize());
        }

        @Test
        void rootName() {
            DnsMessage m = parse(withQuestion("0000020001"));
            assertEquals("", m.questionName());
            assertEquals(DnsMessage.TYPE_NS, m.questionType());
        }

        @Test
        void oddBytesInLabelsAreEscaped() {
            // Label "A. \" then 0xff, then "x": the dot inside the label must not read as a separator.
            DnsMessage m = parse(withQuestion("06412e205cff0001780000010001"));
            assertEquals("a\\.\\032\\\\\\255\\000.x", m.questionName());
        }

        @Test
        void questionNameMayPointIntoTheHeader() {
            // The ID 0x0161 and the flags 0x0162 read as labels "a" and "b", then QDCOUNT's high byte ends the name.
            DnsMessage m = parse(hex("016101620001000000000000c00000010001"));
            assertEquals("a.b", m.questionName());
            assertEquals(12 + 2 + 4, m.questionEnd());
        }

        @Test
        void longestNameParses() {
            // 3 labels of 63 and one of 61: 4 * 64 - 2 + 1 = 255 wire bytes.
            String name = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61);
            assertEquals(name, parse(query(1, name, DnsMessage.TYPE_A)).questionName());
        }

        @Test
        void questionlessMessageParses() {
            DnsMessage m = parse(hex("abcd81050000000000000000"));
            assertFalse(m.hasQuestion());
            assertEquals(-1, m.questionType());
            assertEquals(DnsMessage.REFUSED, m.rcode());
        }

        @Test
        void ednsFieldsOfAnotherVersion() {
            byte[] q = hex("abcd01000001000000000001" + "0000010001" + "0000291000020180000000");
            DnsMessage m = parse(q);
            assertEquals(4096, m.ednsUdpPayloadSize());
            assertEquals(2, m.ednsExtendedRcode());
            assertEquals(1, m.ednsVersion());
            assertEquals(0x8000, m.ednsFlags());
            assertEquals(4096, m.maxUdpResponseLength());
        }

        @Test
        void smallEdnsPayloadStillAllows512() {
            byte[] q = hex("abcd01000001000000000001" + "0000010001" + "0000290010000000000000");
            assertEquals(512, parse(q).maxUdpResponseLength());
        }
    }

    @Nested
    class Malformed {
        @Test
        void headerTruncated() {
            assertEquals(DnsProblem.HEADER_TRUNCATED, problemOf(Arrays.copyOf(DIG_QUERY, 11)));
            assertEquals(DnsProblem.HEADER_TRUNCATED, problemOf(new byte[0]));
        }

        @Test
        void rangeOutsideTheBuffer() {
            DnsMessage m = new DnsMessage();
            ByteBuffer buf = ByteBuffer.wrap(DIG_QUERY);
            assertEquals(DnsProblem.HEADER_TRUNCATED, m.wrapChecked(buf, 1, DIG_QUERY.length));
            assertEquals(DnsProblem.HEADER_TRUNCATED, m.wrapChecked(buf, -1, 20));
            assertEquals(DnsProblem.HEADER_TRUNCATED, m.wrapChecked(buf, 0, -5));
        }

        @Test
        void severalQuestions() {
            assertEquals(DnsProblem.MULTIPLE_QUESTIONS, problemOf(with16(DIG_QUERY, DnsMessage.QDCOUNT, 2)));
        }

        @Test
        void labelOf64Bytes() {
            assertEquals(DnsProblem.BAD_NAME, problemOf(query(1, "a".repeat(64), DnsMessage.TYPE_A)));
        }

        @Test
        void nameOf256Bytes() {
            String name = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(62);
            assertEquals(DnsProblem.BAD_NAME, problemOf(query(1, name, DnsMessage.TYPE_A)));
        }

        @Test
        void reservedLabelTypes() {
            assertEquals(DnsProblem.BAD_NAME, problemOf(withQuestion("410000010001")));
            assertEquals(DnsProblem.BAD_NAME, problemOf(withQuestion("81610000010001")));
        }

        @Test
        void pointerToItself() {
            assertEquals(DnsProblem.BAD_NAME, problemOf(withQuestion("c00c00010001")));
        }

        @Test
        void pointerForward() {
            assertEquals(DnsProblem.BAD_NAME, problemOf(withQuestion("c00e000100010000")));
        }

        @Test
        void pointerPastTheEnd() {
            assertEquals(DnsProblem.BAD_NAME, problemOf(withQuestion("c3ff00010001")));
        }

        @Test
        void pointerLoopThroughALabel() {
            // "a" then a pointer back to it: a name that never ends, stopped by the 255-byte cap.
            assertEquals(DnsProblem.BAD_NAME, problemOf(withQuestion("0161c00c00010001")));
        }

        @Test
        void pointerLoopInAnAnswer() {
            // A response whose answer owner is the label "b" followed by a pointer back to that label.
            byte[] m = hex("abcd81000001000100000000" + "0000010001" + "0162c011" + "0001000100000000000401020304");
            assertEquals(DnsProblem.BAD_NAME, problemOf(m));
        }

        @Test
        void pointerCutShort() {
            assertEquals(DnsProblem.TRUNCATED, problemOf(withQuestion("c0")));
        }

        @Test
        void labelRunningPastTheEnd() {
            assertEquals(DnsProblem.TRUNCATED, problemOf(withQuestion("076578616d706c")));
            assertEquals(DnsProblem.TRUNCATED, problemOf(withQuestion("076578616d706c65")));
        }

        @Test
        void questionWithoutClass() {
            assertEquals(DnsProblem.TRUNCATED, problemOf(Arrays.copyOf(DIG_QUERY_AAAA_NOEDNS, DIG_QUERY_AAAA_NOEDNS.length - 1)));
        }

        @Test
        void missingRecord() {
            assertEquals(DnsProblem.TRUNCATED, problemOf(with16(DIG_QUERY_AAAA_NOEDNS, DnsMessage.ARCOUNT, 1)));
            assertEquals(DnsProblem.TRUNCATED, problemOf(with16(DIG_QUERY, DnsMessage.ARCOUNT, 0xffff)));
        }

        @Test
        void recordDataPastTheEnd() {
            assertEquals(DnsProblem.TRUNCATED, problemOf(Arrays.copyOf(DIG_QUERY, DIG_QUERY.length - 1)));
            assertEquals(DnsProblem.TRUNCATED, problemOf(with16(DIG_RESPONSE, 12 + 17 + 10, 5)));
        }

        @Test
        void problemAfterTheQuestionKeepsIt() {
            DnsMessage m = new DnsMessage();
            byte[] q = Arrays.copyOf(DIG_QUERY, DIG_QUERY.length - 3);
            assertEquals(DnsProblem.TRUNCATED, m.wrapChecked(ByteBuffer.wrap(q), 0, q.length));
            assertTrue(m.hasQuestion());
            assertEquals("example.com", m.questionName());
            assertEquals(0xba1c, m.id());
        }

        @Test
        void twoOptRecords() {
            byte[] q = hex("abcd01000001000000000002" + "0000010001" + "00002904d0000000000000" + "00002904d0000000000000");
            assertEquals(DnsProblem.BAD_OPT, problemOf(q));
        }

        @Test
        void optInTheAnswerSection() {
            byte[] q = hex("abcd01000001000100000000" + "0000010001" + "00002904d0000000000000");
            assertEquals(DnsProblem.BAD_OPT, problemOf(q));
        }

        @Test
        void optNotOwnedByTheRoot() {
            byte[] q = hex("abcd01000001000000000001" + "0000010001" + "016100002904d0000000000000");
            assertEquals(DnsProblem.BAD_OPT, problemOf(q));
        }

        @Test
        void viewIsReusableAfterAProblem() {
            DnsMessage m = new DnsMessage();
            assertEquals(DnsProblem.BAD_NAME, m.wrapChecked(ByteBuffer.wrap(withQuestion("c00c00010001")), 0, 18));
            assertNull(m.wrapChecked(ByteBuffer.wrap(DIG_QUERY_AAAA_NOEDNS), 0, DIG_QUERY_AAAA_NOEDNS.length));
            assertEquals("example.com", m.questionName());
            assertFalse(m.hasEdns());
        }
    }
}
