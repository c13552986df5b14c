package dev.nstun.policies.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as policy files write them: {@code 500ms}, {@code 10s}, {@code 2m}. */
final class Durations {
    static final Duration MAX = Duration.ofMinutes(10);
    private static final Pattern FORM = Pattern.compile("([0-9]{1,9})(ms|s|m)");

    private Durations() {
    }

    /**
     * Parses a duration between 1ms and {@link #MAX}.
     *
     * @throws IllegalArgumentException saying what was expected
     */
    static Duration parse(String text) {
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            String hint = text.trim().matches("[0-9]+") ? "; add a unit, e.g. '" + text.trim() + "s'" : "";
            throw new IllegalArgumentException("expected a duration such as 500ms, 10s or 2m" + hint);
        }
        long amount = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            default -> Duration.ofMinutes(amount);
        };
        if (d.isZero() || d.compareTo(MAX) > 0) {
            throw new IllegalArgumentException("expected a duration from 1ms to " + format(MAX));
        }
        return d;
    }

    /** Returns the shortest exact form: {@code 2m}, {@code 10s} or {@code 1500ms}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
