package dev.nstun.cli;

import dev.nstun.policies.config.DnsSettings;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.dns.DnsClient;
import dev.nstun.policies.outbound.Connectors;
import dev.nstun.stack.dns.DnsUpstream;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command's DNS queries that nstun does not answer itself go here: to the policy's upstream
 * through its DNS outbound, or without a policy to the host's resolver, directly. A reload swaps
 * the client for new queries; queries under way finish on the old one.
 */
final class DnsForwarding implements DnsUpstream, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DnsForwarding.class);

    /** {@code overTcp}: the same server over TCP, for answers too long for UDP (null when the upstream is TCP). */
    private record Route(DnsClient client, DnsClient overTcp, String describe) {
        void close() {
            client.close();
            if (overTcp != null) overTcp.close();
        }
    }

    private final Connectors connectors;
    private final FailureLog failures = new FailureLog(log);
    private volatile Route route;

    private DnsForwarding(Connectors connectors, Route route) {
        this.connectors = connectors;
        this.route = route;
    }

    /** Queries go to {@code upstream} (the policy's unless overridden) through the policy's DNS outbound. */
    static DnsForwarding of(Policy policy, DnsSettings.Upstream override, Connectors connectors) {
        DnsForwarding f = new DnsForwarding(connectors, null);
        f.use(policy, override);
        return f;
    }

    /** Queries go straight to {@code upstream} from the init namespace (no policy); null: nowhere to send them. */
    static DnsForwarding direct(DnsSettings.Upstream upstream, Connectors connectors) {
        if (upstream == null) {
            DnsClient none = new DnsClient() {
                @Override
                public byte[] exchange(byte[] query) throws IOException {
                    throw new IOException("no upstream resolver: the host's /etc/resolv.conf names none (give --dns-upstream)");
                }

                @Override
                public void close() {}
            };
            return new DnsForwarding(connectors, new Route(none, null, "nowhere"));
        }
        return new DnsForwarding(connectors, route(upstream, Outbound.builtIns().get(0), connectors));
    }

    private static Route route(DnsSettings.Upstream upstream, Outbound via, Connectors connectors) {
        DnsClient client = DnsClient.of(upstream, via, connectors, DnsClient.DEFAULT_TIMEOUT);
        DnsClient overTcp = upstream.transport() == Network.TCP ? null
                : DnsClient.of(new DnsSettings.Upstream(Network.TCP, upstream.server()), via, connectors, DnsClient.DEFAULT_TIMEOUT);
        return new Route(client, overTcp, upstream + " via " + via.name());
    }

    /** Sends new queries where {@code policy} says (on reload). */
    void use(Policy policy, DnsSettings.Upstream override) {
        DnsSettings.Upstream upstream = override != null ? override : policy.dns().upstream();
        Outbound via = policy.dnsOutbound();
        Route old = route;
        route = route(upstream, via, connectors);
        if (old != null) {
            // Queries under way on the old client get their timeout's worth of time to finish.
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(DnsClient.DEFAULT_TIMEOUT.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                old.close();
            });
        }
    }

    /** Returns where queries go, for the log. */
    String describe() {
        return route.describe();
    }

    @Override
    public byte[] exchange(byte[] query) throws IOException {
        Route r = route;
        try {
            byte[] answer = r.client().exchange(query);
            // Truncated over UDP: the command would retry over TCP to us and get the same; ask over TCP.
            if (r.overTcp() != null && answer.length > 2 && (answer[2] & 0x02) != 0) answer = r.overTcp().exchange(query);
            return answer;
        } catch (IOException | RuntimeException e) {
            String why = e instanceof IOException ? e.getMessage() : "DNS upstream " + r.describe() + " failed: " + e;
            failures.warn(r.describe(), why + " (the command's query gets SERVFAIL)", System.nanoTime());
            throw e;
        }
    }

    @Override
    public void close() {
        route.close();
    }
}
