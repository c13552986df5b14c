package dev.nstun.stack.dns;

import static dev.nstun.stack.dns.DnsTestMessages.DIG_QUERY;
import static dev.nstun.stack.dns.DnsTestMessages.DIG_QUERY_AAAA_NOEDNS;
import static dev.nstun.stack.dns.DnsTestMessages.DIG_RESPONSE;
import static dev.nstun.stack.dns.DnsTestMessages.DIG_RESPONSE_TXT;
import static dev.nstun.stack.dns.DnsTestMessages.answers;
import static dev.nstun.stack.dns.DnsTestMessages.bytes;
import static dev.nstun.stack.dns.DnsTestMessages.decodeName;
import static dev.nstun.stack.dns.DnsTestMessages.hex;
import static dev.nstun.stack.dns.DnsTestMessages.query;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DnsAnswerWriterTest {

    /** Fake A answer to {@link DnsTestMessages#DIG_QUERY}: QR RD RA, question, A 198.18.1.0 TTL 1, OPT 1232. */
    private static final byte[] FAKE_A_RESPONSE = hex("ba1c81800001000100000001076578616d706c6503636f6d0000010001"
            + "c00c00010001000000010004c6120100" + "00002904d0000000000000");

    private static DnsMessage view(byte[] message) {
        DnsMessage m = new DnsMessage();
        m.wrapChecked(ByteBuffer.wrap(message), 0, message.length);
        return m;
    }

    /** A buffer pre-filled with 0xa5, so that a field the writer forgets shows. */
    private static ByteBuffer filled(int size) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) 0xa5);
        return ByteBuffer.wrap(b);
    }

    private static byte[] write(DnsMessage query, int rcode) {
        ByteBuffer out = filled(600);
        int length = DnsAnswerWriter.begin(out, query, rcode).finish();
        assertEquals(length, out.position());
        return bytes(out, 0, length);
    }

    @Test
    void constructsFakeAnswerByteForByte() {
        ByteBuffer out = filled(600);
        out.position(3);
        int length = DnsAnswerWriter.begin(out, view(DIG_QUERY), DnsMessage.NOERROR).addA(1, 0xc6120100).finish();
        assertEquals(FAKE_A_RESPONSE.length, length);
        assertEquals(3 + length, out.position());
        assertArrayEquals(FAKE_A_RESPONSE, bytes(out, 3, 3 + length), () -> hex(bytes(out, 3, 3 + length)));
        assertEquals((byte) 0xa5, out.get(2), "wrote before its position");
        assertEquals((byte) 0xa5, out.get(3 + length), "wrote past its response");
    }

    @ParameterizedTest
    @ValueSource(ints = {DnsMessage.NOERROR, DnsMessage.FORMERR, DnsMessage.SERVFAIL, DnsMessage.NXDOMAIN, DnsMessage.NOTIMP,
            DnsMessage.REFUSED})
    void everyRcodeKeepsIdQuestionAndEdns(int rcode) {
        byte[] response = write(view(DIG_QUERY), rcode);
        DnsMessage r = view(response);
        assertEquals(0xba1c, r.id());
        assertTrue(r.qr());
        assertTrue(r.rd());
        assertTrue(r.ra());
        assertFalse(r.aa() || r.tc() || r.ad() || r.cd());
        assertEquals(rcode, r.rcode());
        assertEquals(0, r.answerCount());
        assertEquals(0, r.authorityCount());
        assertTrue(r.sameQuestion(view(DIG_QUERY)));
        assertTrue(r.hasEdns());
        assertEquals(DnsAnswerWriter.EDNS_PAYLOAD_SIZE, r.ednsUdpPayloadSize());
        assertEquals(0, r.ednsExtendedRcode());
    }

    @Test
    void noOptRecordWithoutEdnsInTheQuery() {
        byte[] response = write(view(DIG_QUERY_AAAA_NOEDNS), DnsMessage.NXDOMAIN);
        assertEquals(DIG_QUERY_AAAA_NOEDNS.length, response.length);
        assertEquals(0, view(response).additionalCount());
        // The question comes back in the case it was asked (a client may check 0x20 randomisation).
        assertArrayEquals(Arrays.copyOfRange(DIG_QUERY_AAAA_NOEDNS, 12, DIG_QUERY_AAAA_NOEDNS.length),
                Arrays.copyOfRange(response, 12, response.length));
    }

    @Test
    void badversGoesInTheOptRecord() {
        byte[] q = hex("abcd01000001000000000001" + "0000010001" + "0000291000000180000000");
        DnsMessage r = view(write(view(q), DnsMessage.BADVERS));
        assertEquals(0, r.rcode());
        assertEquals(1, r.ednsExtendedRcode(), "BADVERS is 16: 1 in the extended rcode's upper bits");
        assertEquals(0, r.ednsVersion());
        assertEquals(0x8000, r.ednsFlags(), "DO is copied (RFC 3225 §3)");
    }

    @Test
    void extendedRcodeWithoutEdnsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> write(view(DIG_QUERY_AAAA_NOEDNS), DnsMessage.BADVERS));
    }

    @Test
    void rdAndCdAreCopiedAdIsNot() {
        byte[] q = DnsTestMessages.with16(DIG_QUERY_AAAA_NOEDNS, DnsMessage.FLAGS, DnsMessage.CD | DnsMessage.AD);
        DnsMessage r = view(write(view(q), DnsMessage.NOERROR));
        assertFalse(r.rd());
        assertTrue(r.cd());
        assertFalse(r.ad());
    }

    @Test
    void formerrToAnUnreadableQuestionIsAHeaderAlone() {
        byte[] q = DnsTestMessages.with16(DIG_QUERY_AAAA_NOEDNS, DnsMessage.QDCOUNT, 2);
        DnsMessage query = new DnsMessage();
        assertEquals(DnsProblem.MULTIPLE_QUESTIONS, query.wrapChecked(ByteBuffer.wrap(q), 0, q.length));
        byte[] response = write(query, DnsMessage.FORMERR);
        assertArrayEquals(hex("56148181000000000000" + "0000"), response);
    }

    @Test
    void compressedQuestionComesBackDecompressed() {
        // The ID 0x0161 and the flags' high byte 0x01 read as labels "a" and one 0x00 byte; the
        // flags' low byte 0x00 ends the name. The response's header differs, so its copy must be whole.
        byte[] q = hex("016101000001000000000000c00000010001");
        assertEquals("a.\\000", view(q).questionName());
        byte[] response = write(view(q), DnsMessage.NOERROR);
        assertArrayEquals(hex("0161" + "8180" + "0001" + "0000" + "0000" + "0000" + "0161010000" + "00010001"), response,
                () -> hex(response));
    }

    @Test
    void addressAndPointerRecordsReadBack() {
        ByteBuffer out = filled(600);
        byte[] v6 = hex("fd4e5354554e00000000000100000007");
        int length = DnsAnswerWriter.begin(out, view(DIG_QUERY), DnsMessage.NOERROR)
                .addAaaa(30, 0xfd4e5354554e0000L, 0x0000000100000007L)
                .addAddress(31, v6)
                .addAddress(32, new byte[] {10, 0, 0, 1})
                .addPtr(33, "www.example.com")
                .finish();
        List<DnsTestMessages.Rr> answers = answers(bytes(out, 0, length));
        assertEquals(4, answers.size());
        assertEquals("example.com", answers.get(0).name());
        assertEquals(DnsMessage.TYPE_AAAA, answers.get(0).type());
        assertEquals(30, answers.get(0).ttl());
        assertArrayEquals(v6, answers.get(0).rdata());
        assertArrayEquals(v6, answers.get(1).rdata());
        assertEquals(DnsMessage.TYPE_A, answers.get(2).type());
        assertArrayEquals(new byte[] {10, 0, 0, 1}, answers.get(2).rdata());
        assertEquals(DnsMessage.TYPE_PTR, answers.get(3).type());
        assertEquals(DnsMessage.CLASS_IN, answers.get(3).rrClass());
        assertEquals("www.example.com", decodeName(answers.get(3).rdata()));
    }

    @Test
    void answersNeedAQuestion() {
        DnsMessage query = new DnsMessage();
        byte[] q = DnsTestMessages.with16(DIG_QUERY_AAAA_NOEDNS, DnsMessage.QDCOUNT, 2);
        query.wrapChecked(ByteBuffer.wrap(q), 0, q.length);
        DnsAnswerWriter w = DnsAnswerWriter.begin(filled(600), query, DnsMessage.FORMERR);
        assertThrows(IllegalStateException.class, () -> w.addA(1, 1));
    }

    @Test
    void pointerToAnUnwritableNameIsRefused() {
        DnsAnswerWriter w = DnsAnswerWriter.begin(filled(600), view(DIG_QUERY), DnsMessage.NOERROR);
        assertThrows(IllegalArgumentException.class, () -> w.addPtr(1, "a..b"));
        assertThrows(IllegalArgumentException.class, () -> w.addPtr(1, "a\\.b"));
    }

    @Test
    void truncatesABigResponseForUdp() {
        byte[] response = DIG_RESPONSE_TXT.clone();
        int length = DnsAnswerWriter.truncateForUdp(ByteBuffer.wrap(response), 0, response.length, 512);
        assertEquals(12 + 17 + 4 + 11, length);
        byte[] truncated = Arrays.copyOf(response, length);
        DnsMessage r = view(truncated);
        assertNull(new DnsMessage().wrapChecked(ByteBuffer.wrap(truncated), 0, length));
        assertTrue(r.tc());
        assertTrue(r.qr() && r.aa() && r.rd() && r.ra());
        assertEquals(0x033f, r.id());
        assertEquals(1, r.questionCount());
        assertEquals(0, r.answerCount());
        assertEquals(0, r.authorityCount());
        assertEquals(1, r.additionalCount());
        assertEquals("big.example.org", r.questionName());
        assertEquals(DnsMessage.TYPE_TXT, r.questionType());
        assertEquals(DnsAnswerWriter.EDNS_PAYLOAD_SIZE, r.ednsUdpPayloadSize());
    }

    @Test
    void leavesAResponseThatFitsAlone() {
        byte[] response = DIG_RESPONSE_TXT.clone();
        assertEquals(683, DnsAnswerWriter.truncateForUdp(ByteBuffer.wrap(response), 0, response.length, 1232));
        assertEquals(683, DnsAnswerWriter.truncateForUdp(ByteBuffer.wrap(response), 0, response.length, 683));
        assertArrayEquals(DIG_RESPONSE_TXT, response);
    }

    @Test
    void truncatesAResponseWithoutEdnsAtAnOffset() {
        // The answer of DIG_RESPONSE without its OPT record, 45 bytes, squeezed into 40.
        ByteBuffer buf = ByteBuffer.allocate(100);
        buf.put(5, DIG_RESPONSE, 0, 45);
        buf.putShort(5 + DnsMessage.ARCOUNT, (short) 0);
        int length = DnsAnswerWriter.truncateForUdp(buf, 5, 45, 40);
        assertEquals(29, length);
        DnsMessage r = new DnsMessage();
        assertNull(r.wrapChecked(buf, 5, length));
        assertTrue(r.tc());
        assertFalse(r.hasEdns());
        assertEquals("example.com", r.questionName());
    }

    @Test
    void truncationDecompressesAQuestionThatPointsIntoTheHeader() {
        // The question name points at offset 1: the ID's low byte 0x01 is a label length, the flags'
        // 0x81 its byte, the flags' low 0x00 the end. Setting TC changes that byte: the copy must come first.
        byte[] response = hex("0001" + "8100" + "0001" + "0001" + "0000" + "0000" + "c001" + "00010001"
                + "c00c000100010000000000040a000001");
        assertEquals("\\129", view(response).questionName());
        int length = DnsAnswerWriter.truncateForUdp(ByteBuffer.wrap(response), 0, response.length, 20);
        byte[] truncated = Arrays.copyOf(response, length);
        assertArrayEquals(hex("0001" + "8300" + "0001" + "0000" + "0000" + "0000" + "018100" + "00010001"), truncated,
                () -> hex(truncated));
    }

    @Test
    void nothingToKeepWithoutAQuestion() {
        byte[] response = hex("abcd81050000000000000000" + "00".repeat(20));
        assertEquals(-1, DnsAnswerWriter.truncateForUdp(ByteBuffer.wrap(response), 0, response.length, 16));
        assertEquals(-1, DnsAnswerWriter.truncateForUdp(ByteBuffer.wrap(response), 0, 11, 10));
        assertEquals((byte) 0x81, response[2], "changed a response it could not truncate");
    }

    @Test
    void digResponseParsesAfterOurOwnAnswer() {
        assertEquals(1, answers(DIG_RESPONSE).size());
        assertArrayEquals(new byte[] {93, (byte) 184, (byte) 216, 34}, answers(DIG_RESPONSE).get(0).rdata());
    }

    @Test
    void questionComesBackInTheCaseItWasAsked() {
        byte[] q = query(7, "Mixed.Case.Example", DnsMessage.TYPE_A);
        byte[] response = write(view(q), DnsMessage.NOERROR);
        assertArrayEquals(Arrays.copyOfRange(q, 12, q.length), Arrays.copyOfRange(response, 12, response.length));
    }
}
