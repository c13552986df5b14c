package dev.nstun.stack.dns;

/**
 * Which names {@link DnsResolver} in fake-IP mode serves: a query for a name the filter refuses
 * gets NXDOMAIN at once, whatever its type, and never reaches the upstream (so a name no flow
 * may reach fails fast, and carries no data out through the upstream either).
 */
@FunctionalInterface
public interface NameFilter {
    /** Serves every name. */
    NameFilter ALL = name -> true;

    /**
     * Returns whether queries for {@code name} (as asked: any case, no trailing dot) are served.
     * Called on the resolver's threads for every query it does not answer from its own names
     * ({@code localhost}, address literals, its fake addresses): must be fast and thread-safe.
     */
    boolean serves(String name);
}
