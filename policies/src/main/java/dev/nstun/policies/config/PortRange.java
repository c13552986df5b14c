package dev.nstun.policies.config;

/** An inclusive range of destination ports; a single port is a range of one. */
public record PortRange(int from, int to) {
    /** Highest port number. */
    public static final int MAX_PORT = 65535;

    public PortRange {
        if (from < 1 || to > MAX_PORT || from > to) {
            throw new IllegalArgumentException("bad port range " + from + "-" + to);
        }
    }

    /** Returns whether {@code port} lies in this range. */
    public boolean contains(int port) {
        return port >= from && port <= to;
    }

    /** Returns {@code 25} or {@code 6000-6010}, as the policy file writes it. */
    @Override
    public String toString() {
        return from == to ? Integer.toString(from) : from + "-" + to;
    }
}
