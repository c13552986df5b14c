package dev.nstun.policies.outbound;

import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Policy;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The addresses of proxies named by a name, as this host resolved them lately: whatever connects to
 * such a proxy on a thread resolves its name here ({@link #resolve}), and a connect that must not
 * block (on the stack's loop) starts from what is known ({@link #known}), trying the addresses in
 * the order a blocking connect tries them. Process-wide, as the JDK's own cache of names is; a
 * resolution is used for {@link #FRESH_FOR}, the JDK's default for it, and a name that fails to
 * resolve is not remembered. Thread-safe.
 */
public final class ProxyAddresses {
    /** How long a resolution is used: as long as the JDK keeps a resolved name by default ({@code networkaddress.cache.ttl}). */
    static final Duration FRESH_FOR = Duration.ofSeconds(30);

    private record Resolved(List<InetAddress> addresses, long atNanos) {}

    private static final Map<String, Resolved> RESOLVED = new ConcurrentHashMap<>();

    private ProxyAddresses() {}

    /** Resolves {@code host} here, blocking, and remembers its addresses. */
    static List<InetAddress> resolve(String host) throws UnknownHostException {
        List<InetAddress> addresses = List.of(InetAddress.getAllByName(host));
        remember(host, addresses, System.nanoTime());
        return addresses;
    }

    /** Remembers that {@code host} resolved to {@code addresses} at {@code nowNanos} ({@link System#nanoTime}). */
    static void remember(String host, List<InetAddress> addresses, long nowNanos) {
        RESOLVED.put(host, new Resolved(List.copyOf(addresses), nowNanos));
    }

    /**
     * Returns the addresses of {@code proxy} without blocking: its own when it is an address, its
     * name's when that was resolved within {@link #FRESH_FOR}; empty otherwise.
     */
    static Optional<List<InetAddress>> known(HostPort proxy) {
        return known(proxy, System.nanoTime());
    }

    /** Returns what {@link #known(HostPort)} returns at {@code nowNanos}. */
    static Optional<List<InetAddress>> known(HostPort proxy, long nowNanos) {
        Optional<InetAddress> literal = proxy.address();
        if (literal.isPresent()) {
            return Optional.of(List.of(literal.get()));
        }
        Resolved resolved = RESOLVED.get(proxy.host());
        if (resolved == null || nowNanos - resolved.atNanos() > FRESH_FOR.toNanos()) {
            return Optional.empty();
        }
        return Optional.of(resolved.addresses());
    }

    /**
     * Resolves the names of {@code policy}'s socks5 and http proxies (groups' members too) in the
     * background, a virtual thread each, so that flows through them start on the loop from the
     * first one. Returns at once; a name that does not resolve is left for the flows to report.
     */
    public static void prefetch(Policy policy) {
        List<String> names = new ArrayList<>();
        for (Outbound outbound : policy.outbounds().values()) {
            collectNames(outbound, names);
        }
        for (String name : names) {
            Thread.ofVirtual().name("nstun-proxy-name").start(() -> {
                try {
                    resolve(name);
                } catch (UnknownHostException | RuntimeException e) {
                    // The flows through it report it, worded for the proxy.
                }
            });
        }
    }

    private static void collectNames(Outbound outbound, List<String> names) {
        // instanceof, not a pattern switch: a cold JVM builds a class for the switch at its first use.
        HostPort server = null;
        if (outbound instanceof Outbound.Socks5 socks5) {
            server = socks5.server();
        }
        if (outbound instanceof Outbound.Http http) {
            server = http.server();
        }
        if (server != null && server.address().isEmpty() && !names.contains(server.host())) {
            names.add(server.host());
        }
        if (outbound instanceof Outbound.Group group) {
            for (Outbound member : group.members()) {
                collectNames(member, names);
            }
        }
    }
}
