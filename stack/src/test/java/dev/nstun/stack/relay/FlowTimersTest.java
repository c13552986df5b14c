package dev.nstun.stack.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FlowTimersTest {

    private static TcpFlow flow() {
        return new TcpFlow(null, null, null, 0);
    }

    @Test
    void dueFlowsComeOutEarliestFirstAndOnlyWhenDue() {
        FlowTimers timers = new FlowTimers();
        TcpFlow a = flow();
        TcpFlow b = flow();
        TcpFlow c = flow();
        timers.schedule(a, 30);
        timers.schedule(b, 10);
        timers.schedule(c, 20);
        assertEquals(10, timers.nextDeadline());
        assertNull(timers.pollDue(9));
        assertSame(b, timers.pollDue(25));
        assertSame(c, timers.pollDue(25));
        assertNull(timers.pollDue(25));
        assertEquals(Long.MAX_VALUE, b.timerDeadline, "a polled flow has no deadline left");
        assertEquals(-1, b.timerIndex);
        assertSame(a, timers.pollDue(30));
        assertTrue(timers.isEmpty());
        assertEquals(Long.MAX_VALUE, timers.nextDeadline());
    }

    @Test
    void aFlowIsInTheHeapOnceHoweverOftenItsDeadlineMoves() {
        FlowTimers timers = new FlowTimers();
        TcpFlow a = flow();
        TcpFlow b = flow();
        timers.schedule(a, 100);
        timers.schedule(b, 50);
        timers.schedule(a, 40);
        timers.schedule(a, 60);
        assertEquals(2, timers.size());
        assertSame(b, timers.pollDue(1000));
        assertSame(a, timers.pollDue(1000));
        assertNull(timers.pollDue(1000));
    }

    @Test
    void aCancelledFlowLeavesAtOnce() {
        FlowTimers timers = new FlowTimers();
        TcpFlow a = flow();
        TcpFlow b = flow();
        timers.schedule(a, 10);
        timers.schedule(b, 20);
        timers.cancel(a);
        timers.cancel(a);
        assertEquals(1, timers.size());
        assertEquals(20, timers.nextDeadline());
        timers.clear();
        assertTrue(timers.isEmpty());
        assertEquals(-1, b.timerIndex);
    }

    /** Thousands of random schedules, moves and cancels against a plain map of deadlines. */
    @Test
    void itAgreesWithAPlainMapOfDeadlines() {
        Random random = new Random(42);
        FlowTimers timers = new FlowTimers();
        List<TcpFlow> all = new ArrayList<>();
        for (int i = 0; i < 300; i++) all.add(flow());
        Map<TcpFlow, Long> expected = new HashMap<>();
        long now = 0;
        for (int step = 0; step < 20_000; step++) {
            TcpFlow f = all.get(random.nextInt(all.size()));
            switch (random.nextInt(4)) {
                case 0, 1 -> {
                    long at = now + random.nextInt(1000);
                    timers.schedule(f, at);
                    expected.put(f, at);
                }
                case 2 -> {
                    timers.cancel(f);
                    expected.remove(f);
                }
                default -> {
                    now += random.nextInt(50);
                    for (TcpFlow due; (due = timers.pollDue(now)) != null; ) {
                        long at = expected.remove(due);
                        assertTrue(at <= now, "polled before its deadline");
                        for (long other : expected.values()) assertTrue(other >= at, "an earlier deadline was left behind");
                    }
                    for (long other : expected.values()) assertTrue(other > now, "a due flow was not polled");
                }
            }
            assertEquals(expected.size(), timers.size());
            assertEquals(expected.values().stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE), timers.nextDeadline());
        }
    }
}
