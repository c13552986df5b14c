package dev.nstun.policies.config;

import java.util.Locale;

/** The one normal form in which rules and flows compare domain names. */
public final class DomainNames {
    private DomainNames() {
    }

    /**
     * Returns the name in lower case (ASCII rules; internationalized names stay as given, so
     * rules and flows both use the punycode form) without a trailing dot.
     */
    public static String normalize(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }
}
