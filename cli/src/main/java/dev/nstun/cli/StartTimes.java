package dev.nstun.cli;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/**
 * Where this process's start went: milestones from {@code main()} to the running command, said at
 * debug level ({@code -v}) once the command runs, in milliseconds of the JVM's uptime
 * (bench/e2e/startup prints them). A process starts once, so the record is the process's own.
 */
final class StartTimes {
    private record Milestone(String name, long nanos) {}

    private static final List<Milestone> MILESTONES = new ArrayList<>();

    private StartTimes() {}

    /** Notes that the start has reached {@code name}, now. */
    static synchronized void mark(String name) {
        MILESTONES.add(new Milestone(name, System.nanoTime()));
    }

    /** Says the milestones at debug level. Reading the uptime loads the JDK's management classes: only then. */
    static synchronized void log(Logger log) {
        if (!log.isDebugEnabled()) return;
        // The uptime first, then the clock: the first call loads the management classes, some 25 ms
        // that read the other way round were added to every milestone.
        long uptime = ManagementFactory.getRuntimeMXBean().getUptime();
        long now = System.nanoTime();
        StringBuilder line = new StringBuilder("start-up, ms of the JVM's uptime:");
        for (Milestone m : MILESTONES) {
            line.append(' ').append(m.name()).append(' ').append(Math.round(uptime - (now - m.nanos()) / 1e6)).append(',');
        }
        line.setLength(line.length() - 1);
        log.debug(line.toString());
    }
}
