package dev.nstun.policies.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.Location;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Outbound.Group.Strategy;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link MemberHealth}: the order groups try their members in, and back-off on a virtual clock. */
class MemberHealthTest {
    private static final Location HERE = Location.nowhere("(test)");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Outbound A = socks5("a");
    private static final Outbound B = socks5("b");
    private static final Outbound C = socks5("c");

    private long nowNanos = 1_000_000_000_000L;
    private final MemberHealth health = new MemberHealth(() -> nowNanos, new Random(42));

    private static Outbound socks5(String name) {
        return new Outbound.Socks5(name, HostPort.parse("10.0.0.1:1080", 0), Optional.empty(), false, TIMEOUT, HERE);
    }

    private static Outbound.Group group(Strategy strategy, Outbound... members) {
        return new Outbound.Group("g", strategy, List.of(members), TIMEOUT, HERE);
    }

    private static List<String> names(List<Outbound> members) {
        return members.stream().map(Outbound::name).toList();
    }

    private void advance(Duration d) {
        nowNanos += d.toNanos();
    }

    @Test
    void fallbackTriesMembersInDeclaredOrder() {
        Outbound.Group g = group(Strategy.FALLBACK, A, B, C);
        for (int i = 0; i < 3; i++) {
            assertEquals(List.of("a", "b", "c"), names(health.order(g)));
        }
    }

    @Test
    void roundRobinStartsEachFlowOneMemberFurther() {
        Outbound.Group g = group(Strategy.ROUND_ROBIN, A, B, C);
        assertEquals(List.of("a", "b", "c"), names(health.order(g)));
        assertEquals(List.of("b", "c", "a"), names(health.order(g)));
        assertEquals(List.of("c", "a", "b"), names(health.order(g)));
        assertEquals(List.of("a", "b", "c"), names(health.order(g)));
    }

    @Test
    void randomStartsFromEveryMemberAboutEquallyOften() {
        Outbound.Group g = group(Strategy.RANDOM, A, B, C);
        Map<String, Integer> firsts = new HashMap<>();
        int flows = 3000;
        for (int i = 0; i < flows; i++) {
            List<String> order = names(health.order(g));
            firsts.merge(order.get(0), 1, Integer::sum);
            int start = List.of("a", "b", "c").indexOf(order.get(0));
            assertEquals(List.of("a", "b", "c", "a", "b").subList(start, start + 3), order, "the others follow in declared order");
        }
        for (String member : List.of("a", "b", "c")) {
            int n = firsts.getOrDefault(member, 0);
            // Expected 1000 each; with a seeded generator the spread is fixed, and 800..1200 is over 6 sigma wide.
            assertTrue(n > 800 && n < 1200, member + " first in " + n + " of " + flows + " flows: " + firsts);
        }
    }

    @Test
    void aFailedMemberIsTriedLastUntilItsBackOffEnds() {
        Outbound.Group g = group(Strategy.FALLBACK, A, B, C);
        health.failed(g, A, "refused");
        assertEquals(List.of("b", "c", "a"), names(health.order(g)));
        assertEquals(new MemberHealth.State(1, Optional.of(MemberHealth.FIRST_BACKOFF)), health.state("a"));
        advance(MemberHealth.FIRST_BACKOFF.minusMillis(1));
        assertEquals(List.of("b", "c", "a"), names(health.order(g)));
        advance(Duration.ofMillis(1));
        assertEquals(List.of("a", "b", "c"), names(health.order(g)), "back in its place once the back-off ends");
        assertEquals(1, health.state("a").failures(), "still counted until a connection works");
    }

    @Test
    void backOffDoublesWithEachFailureInARowUpToTheBound() {
        Outbound.Group g = group(Strategy.FALLBACK, A, B);
        long[] wantSeconds = {2, 4, 8, 16, 32, 64, 120, 120};
        for (int i = 0; i < wantSeconds.length; i++) {
            health.failed(g, A, "timed out");
            Duration skipped = health.state("a").skipped().orElseThrow();
            assertEquals(Duration.ofSeconds(wantSeconds[i]), skipped, "after failure " + (i + 1));
            advance(skipped);
            assertEquals(Optional.empty(), health.state("a").skipped());
        }
        assertEquals(MemberHealth.MAX_BACKOFF, MemberHealth.backoff(1000));
    }

    @Test
    void aSuccessResetsTheBackOff() {
        Outbound.Group g = group(Strategy.FALLBACK, A, B);
        health.failed(g, A, "refused");
        health.failed(g, A, "refused");
        assertEquals(2, health.state("a").failures());
        health.succeeded(A);
        assertEquals(MemberHealth.State.HEALTHY, health.state("a"));
        assertEquals(List.of("a", "b"), names(health.order(g)));
        health.failed(g, A, "refused");
        assertEquals(Optional.of(MemberHealth.FIRST_BACKOFF), health.state("a").skipped(), "the next failure starts from the first back-off");
    }

    @Test
    void whenEveryMemberIsBackedOffAllAreStillTriedInTheStrategysOrder() {
        Outbound.Group g = group(Strategy.ROUND_ROBIN, A, B);
        health.failed(g, A, "refused");
        health.failed(g, B, "refused");
        assertEquals(List.of("a", "b"), names(health.order(g)));
        assertEquals(List.of("b", "a"), names(health.order(g)));
    }

    @Test
    void roundRobinSkipsABackedOffMemberWithoutLosingItsTurn() {
        Outbound.Group g = group(Strategy.ROUND_ROBIN, A, B, C);
        health.failed(g, B, "refused");
        assertEquals(List.of("a", "c", "b"), names(health.order(g)));
        assertEquals(List.of("c", "a", "b"), names(health.order(g)), "b's turn went to the next ready member");
        assertEquals(List.of("c", "a", "b"), names(health.order(g)));
    }
}
