package dev.nstun.policies.outbound;

import java.time.Duration;

/**
 * One time limit shared by every step of opening an outbound connection (resolving, connecting,
 * the handshake): the outbound's connect-timeout bounds the whole, not each step.
 */
final class Deadline {
    private final Duration timeout;
    private final long endNanos;

    private Deadline(Duration timeout) {
        this.timeout = timeout;
        this.endNanos = System.nanoTime() + timeout.toNanos();
    }

    /** Returns a deadline {@code timeout} from now. */
    static Deadline after(Duration timeout) {
        return new Deadline(timeout);
    }

    /** Returns the milliseconds left, at least 1 (0 would mean "no timeout" to the socket API). */
    int millisLeft() {
        long left = endNanos - System.nanoTime();
        return left <= 0 ? 1 : (int) Math.min(Integer.MAX_VALUE, Math.max(1, (left + 999_999) / 1_000_000));
    }

    /** Returns the time left, zero once it has passed. */
    Duration left() {
        return Duration.ofNanos(Math.max(0, endNanos - System.nanoTime()));
    }

    /** Returns whether the deadline has passed. */
    boolean passed() {
        return endNanos - System.nanoTime() <= 0;
    }

    /** Returns the shorter of {@code timeout} and the time left, rounded up to a millisecond. */
    Duration cap(Duration timeout) {
        Duration left = Duration.ofMillis(millisLeft());
        return timeout.compareTo(left) < 0 ? timeout : left;
    }

    /** Returns the whole timeout as people write it: {@code 10s}, {@code 1500ms}, {@code 2m}. */
    String describe() {
        return describe(timeout);
    }

    /** Returns {@code timeout} as people write it: {@code 10s}, {@code 1500ms}, {@code 2m}. */
    static String describe(Duration timeout) {
        long ms = timeout.toMillis();
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
