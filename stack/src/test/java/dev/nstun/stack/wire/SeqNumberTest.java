package dev.nstun.stack.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The peer's ISN sits just below 2^32, so every comparison here straddles the wrap. */
class SeqNumberTest {

    private static final SeqNumber ISN = SeqNumber.of(0xffff_fff0L);

    @Test
    void advancesAcrossTheWrap() {
        SeqNumber next = ISN.plus(0x20);
        assertEquals(0x10, next.value());
        assertEquals(0x20, next.minus(ISN));
        assertEquals(-0x20, ISN.minus(next));
        assertEquals(ISN, next.plus(-0x20));
    }

    @Test
    void comparesAcrossTheWrap() {
        SeqNumber after = ISN.plus(0x20);
        assertTrue(ISN.lt(after), "got: " + ISN + " not before " + after);
        assertTrue(ISN.le(after));
        assertTrue(after.gt(ISN));
        assertTrue(after.ge(ISN));
        assertFalse(after.lt(ISN));
        assertFalse(ISN.gt(after));
        assertTrue(ISN.le(ISN) && ISN.ge(ISN) && !ISN.lt(ISN) && !ISN.gt(ISN));
        assertTrue(Integer.compareUnsigned(ISN.value(), after.value()) > 0, "a raw compare would get it wrong");
    }

    @Test
    void staticHelpersAgreeWithInstances() {
        int a = ISN.value();
        int b = ISN.plus(1).value();
        assertTrue(SeqNumber.lt(a, b) && SeqNumber.le(a, b) && SeqNumber.gt(b, a) && SeqNumber.ge(b, a));
        assertEquals(b, SeqNumber.max(a, b));
        assertEquals(a, SeqNumber.min(b, a));
        assertEquals(ISN.plus(1), ISN.max(ISN.plus(1)));
        assertEquals(ISN, ISN.min(ISN.plus(1)));
    }

    @Test
    void windowStraddlesTheWrap() {
        int window = 0x40;
        assertTrue(ISN.inWindow(ISN, window), "start is inside");
        assertTrue(ISN.plus(0x10).inWindow(ISN, window), "0 is inside");
        assertTrue(ISN.plus(0x3f).inWindow(ISN, window), "last is inside");
        assertFalse(ISN.plus(0x40).inWindow(ISN, window), "end is outside");
        assertFalse(ISN.plus(-1).inWindow(ISN, window), "before is outside");
        assertFalse(ISN.inWindow(ISN, 0), "an empty window holds nothing");
        assertTrue(SeqNumber.inWindow(ISN.plus(0x7fff_ffff).value(), ISN.value(), 0x8000_0000), "length is unsigned");
    }

    @Test
    void printsUnsigned() {
        assertEquals("4294967280", ISN.toString());
        assertEquals(4294967280L, ISN.unsigned());
    }
}
