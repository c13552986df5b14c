package dev.nstun.stack.icmp;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What the echo relay chose not to pass on, counted by the loop thread and by the transport's
 * thread, readable from any. Malformed ICMP (truncated, bad checksum) goes to the stack's own
 * counters like every other malformed packet.
 */
public final class EchoCounters {
    /** Why an ICMP message was not relayed. */
    public enum Drop {
        /** A message from the command other than an echo request: router solicitations, neighbour discovery, MLD reports. */
        NOT_ECHO_REQUEST,
        /** The transport's socket could not take a request at once. */
        UPSTREAM_BUSY,
        /** A reply or error arrived while its flow already had as many waiting for the loop as it may. */
        REPLY_BACKLOG,
        /** A reply or error reached the loop after its flow had expired or been evicted. */
        REPLY_LATE,
        /** A reply too large for the stack's packet buffer, or an error whose type is not one we relay. */
        REPLY_UNUSABLE
    }

    private final AtomicLongArray counts = new AtomicLongArray(Drop.values().length);

    /** Counts one drop. */
    public void count(Drop reason) {
        counts.incrementAndGet(reason.ordinal());
    }

    /** Returns the count for one reason. */
    public long get(Drop reason) {
        return counts.get(reason.ordinal());
    }

    /** Returns the non-zero counters by name. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Drop r : Drop.values()) {
            long v = counts.get(r.ordinal());
            if (v != 0) m.put("ICMP_" + r.name(), v);
        }
        return m;
    }
}
