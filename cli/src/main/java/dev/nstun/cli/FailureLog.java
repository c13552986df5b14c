package dev.nstun.cli;

import dev.nstun.policies.outbound.UntrustedText;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * One warning line per cause, not one per flow: a browser behind a dead proxy opens dozens of
 * connections a second, and a log that repeats the same line hides everything else. The first
 * failure of a kind is logged at once; repeats within {@link #QUIET_NANOS} are counted and the
 * count is told with the next line that gets through. Messages carry what proxies said, so each
 * line is {@linkplain UntrustedText escaped} once more before it reaches the terminal.
 */
final class FailureLog {
    static final long QUIET_NANOS = 10_000_000_000L;
    /** The longest line: a flow, an outbound's words and a proxy's escaped answer fit. */
    static final int MAX_LINE_CHARS = 1000;

    private record Window(long startNanos, AtomicLong suppressed) {}

    private final Logger log;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    FailureLog(Logger log) {
        this.log = log;
    }

    /** Warns {@code message} unless a line with the same {@code key} was warned in the last ten seconds. */
    void warn(String key, String message, long nowNanos) {
        long[] repeats = {-1}; // stays -1 when this failure is held back
        windows.compute(key, (k, w) -> {
            if (w != null && nowNanos - w.startNanos() < QUIET_NANOS) {
                w.suppressed().incrementAndGet();
                return w;
            }
            repeats[0] = w == null ? 0 : w.suppressed().get();
            return new Window(nowNanos, new AtomicLong());
        });
        String line = UntrustedText.printable(message, MAX_LINE_CHARS);
        if (repeats[0] > 0) {
            log.warn(line + " (and " + repeats[0] + " more like it)");
        } else if (repeats[0] == 0) {
            log.warn(line);
        }
    }
}
