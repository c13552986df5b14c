package dev.nstun.policies.config;

import java.util.Locale;

/**
 * Which flows of a socks5 outbound share SOCKS5 credentials that nstun makes up for them: Tor
 * (with IsolateSOCKSAuth, its default) never puts streams with different credentials on one
 * circuit, so this decides which flows may be linked by sharing an exit.
 */
public enum Isolation {
    /** The outbound's own credentials, or none: Tor puts streams on circuits as it likes. */
    NONE,
    /** One set of credentials for the whole run: its streams never share a circuit with another program's. */
    PER_RUN,
    /** One set per destination host (name, or address when the flow has no name) within the run. */
    PER_DESTINATION,
    /** A new set for every flow. */
    PER_FLOW;

    /** Returns the spelling in the policy: {@code per-destination}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
