package dev.nstun.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SackScoreboardTest {
    static final int UNA = 0xffff_f000;
    static final int MSS = 1000;
    static final int NXT = UNA + 10 * MSS;

    private static int seg(int n) {
        return UNA + n * MSS;
    }

    @Test
    void blocksAreClampedToTheFlightAndCountOnlyNewBytes() {
        SackScoreboard sb = new SackScoreboard();
        assertEquals(MSS, sb.add(seg(1), seg(2), UNA, NXT), "new bytes");
        assertEquals(0, sb.add(seg(1), seg(2), UNA, NXT), "the same block again");
        assertEquals(MSS, sb.add(seg(1), seg(3), UNA, NXT), "grown block");
        assertEquals(0, sb.add(UNA - 500, UNA, UNA, NXT), "a D-SACK below SND.UNA");
        assertEquals(0, sb.add(NXT, NXT + 100, UNA, NXT), "a block beyond SND.NXT");
        assertEquals(1, sb.count(), "blocks");
    }

    @Test
    void holesAreFoundBetweenBlocks() {
        SackScoreboard sb = new SackScoreboard();
        sb.add(seg(2), seg(4), UNA, NXT);
        sb.add(seg(6), seg(7), UNA, NXT);
        assertEquals(seg(0), sb.nextUnsacked(seg(0)), "first hole");
        assertEquals(seg(4), sb.nextUnsacked(seg(2)), "inside a block");
        assertEquals(seg(2), sb.holeEnd(seg(0), NXT), "end of the first hole");
        assertEquals(seg(6), sb.holeEnd(seg(4), NXT), "end of the second hole");
        assertEquals(NXT, sb.holeEnd(seg(7), NXT), "after the last block");
        assertEquals(3 * MSS, sb.sackedBetween(UNA, NXT), "SACKed bytes");
        assertEquals(seg(7), sb.highestSacked(UNA), "highest SACKed");
    }

    @Test
    void advancingSndUnaForgetsAndTrims() {
        SackScoreboard sb = new SackScoreboard();
        sb.add(seg(2), seg(4), UNA, NXT);
        sb.add(seg(6), seg(7), UNA, NXT);
        sb.advance(seg(3));
        assertEquals(2, sb.count(), "blocks");
        assertEquals(2 * MSS, sb.sackedBetween(seg(3), NXT), "SACKed bytes");
        sb.advance(seg(5));
        assertEquals(1, sb.count(), "blocks");
    }

    @Test
    void bytesAreLostBelowThreeBlocks() {
        SackScoreboard sb = new SackScoreboard();
        sb.add(seg(2), seg(3), UNA, NXT);
        sb.add(seg(4), seg(5), UNA, NXT);
        assertEquals(UNA, sb.lostEdge(UNA, MSS, 3), "two blocks, two segments: nothing lost");
        sb.add(seg(6), seg(7), UNA, NXT);
        assertEquals(seg(2), sb.lostEdge(UNA, MSS, 3), "three blocks: the first hole is lost");
    }

    @Test
    void bytesAreLostBelowMoreThanTwoSegmentsSacked() {
        SackScoreboard sb = new SackScoreboard();
        sb.add(seg(3), seg(5), UNA, NXT);
        assertEquals(UNA, sb.lostEdge(UNA, MSS, 3), "exactly two segments above: not lost");
        sb.add(seg(3), seg(6), UNA, NXT);
        assertEquals(seg(3), sb.lostEdge(UNA, MSS, 3), "three segments above: lost");
    }

    @Test
    void scoreboardIsBounded() {
        SackScoreboard sb = new SackScoreboard();
        int una = 0;
        int nxt = 1_000_000;
        for (int i = 0; i < SackScoreboard.MAX_BLOCKS + 5; i++) sb.add(10 * i + 1, 10 * i + 5, una, nxt);
        assertEquals(SackScoreboard.MAX_BLOCKS, sb.count(), "blocks");
    }
}
