package dev.nstun.cli;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * One warning line per cause, not one per flow: a browser behind a dead proxy opens dozens of
 * connections a second, and a log that repeats the same line hides everything else. The first
 * failure of a kind is logged at once; repeats within {@link #QUIET_NANOS} are counted and the
 * count is told with the next line that gets through.
 */
final class FailureLog {
    static final long QUIET_NANOS = 10_000_000_000L;

    private record Window(long startNanos, AtomicLong suppressed) {}

    private final Logger log;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    FailureLog(Logger log) {
        this.log = log;
    }

    /** Warns {@code message} unless a line with the same {@code key} was warned in the last ten seconds. */
    void warn(String key, String message, long nowNanos) {
        Window w = windows.get(key);
        if (w != null && nowNanos - w.startNanos() < QUIET_NANOS) {
            w.suppressed().incrementAndGet();
            return;
        }
        Window fresh = new Window(nowNanos, new AtomicLong());
        Window old = w == null ? windows.putIfAbsent(key, fresh) : (windows.replace(key, w, fresh) ? w : windows.get(key));
        if (w == null && old != null) { // another thread won the race: count this one there
            old.suppressed().incrementAndGet();
            return;
        }
        long repeats = w == null ? 0 : w.suppressed().get();
        log.warn(repeats > 0 ? message + " (and " + repeats + " more like it)" : message);
    }
}
