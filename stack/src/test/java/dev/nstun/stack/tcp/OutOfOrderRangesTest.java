package dev.nstun.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class OutOfOrderRangesTest {
    /** Just below the 2^32 wrap, so ranges straddle it. */
    static final int BASE = 0xffff_ff00;

    private static int[] ranges(OutOfOrderRanges r) {
        int[] e = new int[2 * r.count()];
        for (int i = 0; i < r.count(); i++) {
            e[2 * i] = r.left(i) - BASE;
            e[2 * i + 1] = r.right(i) - BASE;
        }
        return e;
    }

    @Test
    void overlappingAndTouchingRangesMerge() {
        OutOfOrderRanges r = new OutOfOrderRanges();
        r.add(BASE + 300, BASE + 400);
        r.add(BASE + 100, BASE + 200);
        assertArrayEquals(new int[]{100, 200, 300, 400}, ranges(r), "ranges");
        r.add(BASE + 200, BASE + 250);
        assertArrayEquals(new int[]{100, 250, 300, 400}, ranges(r), "touching merges");
        r.add(BASE + 240, BASE + 310);
        assertArrayEquals(new int[]{100, 400}, ranges(r), "bridging merges all");
    }

    @Test
    void advanceTakesWhatRcvNxtReached() {
        OutOfOrderRanges r = new OutOfOrderRanges();
        r.add(BASE + 300, BASE + 400);
        r.add(BASE + 500, BASE + 600);
        assertEquals(BASE + 200, r.advance(BASE + 200), "nothing reached");
        assertEquals(BASE + 400, r.advance(BASE + 300), "first range taken");
        assertArrayEquals(new int[]{500, 600}, ranges(r), "left");
    }

    @Test
    void rangesAreBounded() {
        OutOfOrderRanges r = new OutOfOrderRanges();
        for (int i = 0; i < OutOfOrderRanges.MAX_RANGES; i++) assertTrue(r.add(BASE + 10 * i, BASE + 10 * i + 5), "range " + i);
        assertFalse(r.add(BASE + 1000, BASE + 1005), "one more separate range");
        assertTrue(r.add(BASE + 5, BASE + 10), "one that merges");
    }

    @Test
    void sackOrderIsMostRecentlyGrownFirst() {
        OutOfOrderRanges r = new OutOfOrderRanges();
        r.add(BASE + 100, BASE + 200);
        r.add(BASE + 300, BASE + 400);
        r.add(BASE + 500, BASE + 600);
        r.add(BASE + 200, BASE + 210);
        int[] edges = new int[8];
        assertEquals(3, r.recentFirst(edges, 4), "blocks");
        for (int i = 0; i < 6; i++) edges[i] -= BASE;
        assertArrayEquals(new int[]{100, 210, 500, 600, 300, 400}, Arrays.copyOf(edges, 6), "edges");
    }
}
