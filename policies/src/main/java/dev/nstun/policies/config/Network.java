package dev.nstun.policies.config;

import java.util.Locale;
import java.util.Optional;

/** The transport of a flow, as rules see it. */
public enum Network {
    TCP,
    UDP;

    /** Returns the name the policy file uses: {@code tcp} or {@code udp}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Returns the network named {@code text} (any case), or empty. */
    public static Optional<Network> parse(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "tcp" -> Optional.of(TCP);
            case "udp" -> Optional.of(UDP);
            default -> Optional.empty();
        };
    }
}
