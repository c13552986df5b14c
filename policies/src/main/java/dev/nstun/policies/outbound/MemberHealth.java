package dev.nstun.policies.outbound;

import dev.nstun.policies.config.Outbound;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What nstun has learnt of the members of groups from the flows it sent through them, and nothing
 * else: there are no health probes (they would show every proxy of a group to whoever watches the
 * network). A member that failed a connection is skipped for a back-off period that doubles with
 * each failure in a row, from {@link #FIRST_BACKOFF} up to {@link #MAX_BACKOFF}; a connection
 * through it resets it. While every member of a group is backed off, they are tried all the same
 * (after the others, in the strategy's order), so a group never refuses a flow without trying.
 * Members are known by name; time comes from the clock given, so tests run on a virtual one.
 * Thread-safe.
 */
public final class MemberHealth {
    private static final Logger log = LoggerFactory.getLogger(MemberHealth.class);

    /** How long a member is skipped after its first failure. */
    public static final Duration FIRST_BACKOFF = Duration.ofSeconds(2);
    /** The longest a member is skipped, however often it failed. */
    public static final Duration MAX_BACKOFF = Duration.ofMinutes(2);

    /**
     * What is known of one member.
     *
     * @param failures   connections that failed through it since the last one that worked
     * @param untilNanos when, on the clock given, it stops being skipped
     */
    private record Backoff(int failures, long untilNanos) {}

    /**
     * A member's state as {@link #state} reports it.
     *
     * @param failures  connections that failed through it since the last one that worked
     * @param skipped   how much longer it is skipped; empty when it is not
     */
    public record State(int failures, Optional<Duration> skipped) {
        /** The state of a member that has not failed. */
        public static final State HEALTHY = new State(0, Optional.empty());
    }

    private final LongSupplier nanoClock;
    private final RandomGenerator random;
    private final ConcurrentMap<String, Backoff> byMember = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, AtomicLong> turns = new ConcurrentHashMap<>();

    /** Returns member health on the system's monotonic clock, random groups choosing with {@code random} (thread-safe). */
    public MemberHealth(RandomGenerator random) {
        this(System::nanoTime, random);
    }

    /** Returns member health on {@code nanoClock} (nanoseconds, as {@link System#nanoTime()}), random groups choosing with {@code random}. */
    public MemberHealth(LongSupplier nanoClock, RandomGenerator random) {
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * Returns the members of {@code group} in the order a new flow tries them: the strategy's order
     * (declared; from a random member; from the member after the previous flow's first), with the
     * members that are backed off moved to the end.
     */
    public List<Outbound> order(Outbound.Group group) {
        List<Outbound> members = group.members();
        int n = members.size();
        int first = switch (group.strategy()) {
            case FALLBACK -> 0;
            case RANDOM -> random.nextInt(n);
            case ROUND_ROBIN -> (int) Math.floorMod(turns.computeIfAbsent(group.name(), k -> new AtomicLong()).getAndIncrement(), n);
        };
        long now = nanoClock.getAsLong();
        List<Outbound> ready = new ArrayList<>(n);
        List<Outbound> skipped = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Outbound member = members.get((first + i) % n);
            (isBackedOff(member.name(), now) ? skipped : ready).add(member);
        }
        ready.addAll(skipped);
        return ready;
    }

    /** Records that a connection through {@code member} of {@code group} failed for {@code why}: it is skipped for a while. */
    public void failed(Outbound.Group group, Outbound member, String why) {
        long now = nanoClock.getAsLong();
        Backoff b = byMember.merge(member.name(), new Backoff(1, now + FIRST_BACKOFF.toNanos()),
                (before, first) -> new Backoff(before.failures() + 1, now + backoff(before.failures() + 1).toNanos()));
        if (b.failures() == 1) {
            log.warn("{} outbound {}: member {} failed ({}); the other members are tried first for {}", group.type(), group.name(),
                    member.name(), UntrustedText.printable(why), FIRST_BACKOFF.toSeconds() + "s");
        } else {
            log.debug("{} outbound {}: member {} failed {} times in a row ({}); skipped for {}", group.type(), group.name(),
                    member.name(), b.failures(), UntrustedText.printable(why), backoff(b.failures()).toSeconds() + "s");
        }
    }

    /** Records that a connection through {@code member} worked: it is no longer skipped. */
    public void succeeded(Outbound member) {
        Backoff before = byMember.remove(member.name());
        if (before != null) {
            log.info("outbound {} connects again, after {} failed {}", member.name(), before.failures(),
                    before.failures() == 1 ? "connection" : "connections");
        }
    }

    /** Returns what is known of the member called {@code member}. */
    public State state(String member) {
        Backoff b = byMember.get(member);
        if (b == null) {
            return State.HEALTHY;
        }
        long left = b.untilNanos() - nanoClock.getAsLong();
        return new State(b.failures(), left > 0 ? Optional.of(Duration.ofNanos(left)) : Optional.empty());
    }

    /** Returns how long a member is skipped after {@code failures} failures in a row: doubling, bounded. */
    static Duration backoff(int failures) {
        int doublings = Math.min(failures - 1, 30);
        Duration d = FIRST_BACKOFF.multipliedBy(1L << doublings);
        return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
    }

    private boolean isBackedOff(String member, long now) {
        Backoff b = byMember.get(member);
        return b != null && b.untilNanos() - now > 0;
    }
}
