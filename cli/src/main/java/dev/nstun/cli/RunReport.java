package dev.nstun.cli;

import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.rules.Match;
import dev.nstun.stack.StackCounters;
import dev.nstun.stack.flow.DialException;
import dev.nstun.stack.flow.DialFailure;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowRefusedException;
import dev.nstun.stack.flow.PendingConnect;
import dev.nstun.stack.flow.UdpUpstream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a run did, said at exit for {@code nstun run --report} (and {@code -v}) as {@code time(1)}
 * says what a command cost: the flows by protocol, rule and outbound with the bytes relayed each
 * way, and the attempts refused, by reason. {@link #around} puts it around the run's dialer, which
 * shows it every flow, its end and every refusal; {@link PolicyDialer} tells it which rule and
 * outbound each flow met. Safe from the dialing threads and the loop thread at once.
 */
final class RunReport {
    /** Why an attempt got no upstream. */
    enum Refusal {
        REJECTED_BY_RULE("rejected by a rule"),
        DROPPED_BY_RULE("dropped by a rule"),
        UDP_TO_PROXY_WITHOUT_UDP("UDP to a proxy that carries no UDP"),
        FAKE_ADDRESS_WITHOUT_NAME("to a fake address that stands for no name"),
        NSTUN_ADDRESS("to nstun's own addresses (the resolver's other ports, the host's loopback without --host-loopback)"),
        NEVER_DIALED("to an address never dialed for the command (loopback, unspecified, …)"),
        FAILED("failed to connect (refused, unreachable, timed out)");

        private final String label;

        Refusal(String label) {
            this.label = label;
        }

        /** Returns what the reason says to a person: "rejected by a rule". */
        String label() {
            return label;
        }
    }

    /** Flows that went one way: {@code rule} is "rule N", or "no policy" when every flow goes direct. */
    record Route(FlowId.Protocol protocol, String rule, String outbound) {
        // equals and hashCode written out: a record's own are bootstrapped (method handles spun) at
        // their first use, which is the command's first flow (a route is a map key).
        @Override
        public boolean equals(Object o) {
            return o instanceof Route r && protocol == r.protocol && Objects.equals(rule, r.rule) && Objects.equals(outbound, r.outbound);
        }

        @Override
        public int hashCode() {
            return (Objects.hashCode(protocol) * 31 + Objects.hashCode(rule)) * 31 + Objects.hashCode(outbound);
        }

        @Override
        public String toString() {
            return protocol.name().toLowerCase(Locale.ROOT) + " " + rule + " → " + outbound;
        }
    }

    private record Matched(Route route, Outbound outbound) {}

    private static final class Totals {
        final LongAdder flows = new LongAdder();
        final LongAdder toUpstream = new LongAdder();
        final LongAdder fromUpstream = new LongAdder();
    }

    private final long startNanos = System.nanoTime();
    private final Map<Route, Totals> routes = new ConcurrentHashMap<>();
    /** Flows matched by a rule and not yet connected or refused, by {@link #key}. */
    private final Map<FlowId, Matched> matched = new ConcurrentHashMap<>();
    /**
     * Flows with an upstream, or a connect under way on the loop, by {@link #key}, until they end: a TCP flow until
     * {@link Dialer#tcpClosed} says its bytes, a UDP flow until its upstream closes. What {@link #routeOf} reads.
     */
    private final Map<FlowId, Route> live = new ConcurrentHashMap<>();
    private final Map<Refusal, LongAdder> refusals = new EnumMap<>(Refusal.class);

    RunReport() {
        for (Refusal r : Refusal.values()) refusals.put(r, new LongAdder());
    }

    /** The policy sends {@code flow} as {@code m} says (before it dials). */
    void matched(FlowId flow, Match m) {
        matched.put(key(flow), new Matched(new Route(flow.protocol(), "rule " + m.rule().number(), m.outbound().name()), m.outbound()));
    }

    /** Returns {@code dialer} with every flow it opens, ends or refuses told to this report. */
    Dialer around(Dialer dialer) {
        return new Dialer() {
            @Override
            public SocketChannel connectTcp(FlowId flow) throws IOException {
                SocketChannel channel;
                try {
                    channel = dialer.connectTcp(flow);
                } catch (IOException e) {
                    refused(flow, e);
                    throw e;
                }
                live.put(key(flow), opened(flow));
                return channel;
            }

            @Override
            public UdpUpstream openUdp(FlowId flow) throws IOException {
                UdpUpstream upstream;
                try {
                    upstream = dialer.openUdp(flow);
                } catch (IOException e) {
                    refused(flow, e);
                    throw e;
                }
                Route route = opened(flow);
                live.put(key(flow), route);
                return counting(upstream, totals(route), () -> live.remove(key(flow)));
            }

            @Override
            public Optional<PendingConnect> startTcp(FlowId flow) throws IOException {
                Optional<PendingConnect> started;
                try {
                    started = dialer.startTcp(flow);
                } catch (IOException e) {
                    refused(flow, e);
                    throw e;
                }
                if (started.isEmpty()) return started;
                // Counted as a flow now; a connect begun on the loop ends there: a failure, through its
                // mapping, takes the count back and counts the refusal; a success is told by tcpClosed.
                Route route = opened(flow);
                live.put(key(flow), route);
                return started.map(p -> p.withFailure(e -> {
                    live.remove(key(flow));
                    totals(route).flows.decrement();
                    DialException failure = p.failure().apply(e);
                    refused(flow, failure);
                    return failure;
                }));
            }

            @Override
            public void tcpClosed(FlowId flow, long bytesToUpstream, long bytesFromUpstream) {
                Route route = live.remove(key(flow));
                if (route == null) route = opened(flow); // a dialer under this one connected it unseen
                Totals t = totals(route);
                t.toUpstream.add(bytesToUpstream);
                t.fromUpstream.add(bytesFromUpstream);
                dialer.tcpClosed(flow, bytesToUpstream, bytesFromUpstream);
            }
        };
    }

    /** Returns the rule and outbound of a live flow (one that has an upstream, or is connecting one), if it is one. */
    Optional<Route> routeOf(FlowId flow) {
        return Optional.ofNullable(live.get(key(flow)));
    }

    /** The flows of one route so far, and the bytes of those that ended. */
    record RouteTotals(Route route, long flows, long bytesToUpstream, long bytesFromUpstream) {}

    /** Returns the totals of every route so far, most flows first. */
    List<RouteTotals> routeTotals() {
        List<RouteTotals> all = new ArrayList<>();
        routes.forEach((r, t) -> {
            if (t.flows.sum() > 0) all.add(new RouteTotals(r, t.flows.sum(), t.toUpstream.sum(), t.fromUpstream.sum()));
        });
        all.sort(Comparator.comparingLong((RouteTotals t) -> -t.flows()).thenComparing(t -> t.route().toString()));
        return all;
    }

    /** Returns the attempts refused so far, by reason (every reason present). */
    Map<Refusal, Long> refusals() {
        Map<Refusal, Long> counts = new EnumMap<>(Refusal.class);
        refusals.forEach((reason, n) -> counts.put(reason, n.sum()));
        return counts;
    }

    /**
     * Says the report in a few lines: the totals and time, a line per route (most bytes first), the refusals by reason,
     * with the flows the stack refused before any dialer saw them from {@code stack}.
     */
    void print(PrintWriter err, StackCounters stack) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        List<Map.Entry<Route, Totals>> byRoute = new ArrayList<>(routes.entrySet());
        byRoute.removeIf(e -> e.getValue().flows.sum() == 0); // its only connects failed: counted as refusals
        // The routes that carried the most first, as a top list does.
        byRoute.sort(Comparator.comparingLong((Map.Entry<Route, Totals> e) -> -(e.getValue().toUpstream.sum() + e.getValue().fromUpstream.sum()))
                .thenComparing(e -> e.getKey().toString()));
        long flows = 0;
        long sent = 0;
        long received = 0;
        for (Map.Entry<Route, Totals> e : byRoute) {
            flows += e.getValue().flows.sum();
            sent += e.getValue().toUpstream.sum();
            received += e.getValue().fromUpstream.sum();
        }
        err.println(String.format(Locale.ROOT, "nstun: %.2fs, %s, %s sent, %s received", seconds, count(flows, "flow"), bytes(sent), bytes(received)));
        for (Map.Entry<Route, Totals> e : byRoute) {
            Totals t = e.getValue();
            err.println("nstun:   " + e.getKey() + ": " + count(t.flows.sum(), "flow") + ", " + bytes(t.toUpstream.sum()) + " sent, "
                    + bytes(t.fromUpstream.sum()) + " received");
        }
        Map<Refusal, Long> counts = refusals();
        counts.merge(Refusal.FAKE_ADDRESS_WITHOUT_NAME, stack.get(StackCounters.Drop.FAKE_ADDRESS_WITHOUT_NAME), Long::sum);
        List<String> refused = new ArrayList<>();
        counts.forEach((reason, n) -> {
            if (n > 0) refused.add(n + " " + reason.label);
        });
        if (!refused.isEmpty()) err.println("nstun: refused: " + String.join(", ", refused));
    }

    private Route opened(FlowId flow) {
        Matched m = matched.remove(key(flow));
        Route route = m != null ? m.route() : new Route(flow.protocol(), "no policy", "direct");
        totals(route).flows.increment();
        return route;
    }

    private void refused(FlowId flow, IOException e) {
        Matched m = matched.remove(key(flow));
        refusals.get(reason(flow, m == null ? null : m.outbound(), e)).increment();
    }

    /** Why {@code e} refused {@code flow}, which met {@code outbound} (null: no rule said where it goes). */
    static Refusal reason(FlowId flow, Outbound outbound, IOException e) {
        // A reject outbound refuses TCP as a closed port would (a reset), not with FlowRefusedException.
        if (outbound instanceof Outbound.Reject) return Refusal.REJECTED_BY_RULE;
        if (outbound instanceof Outbound.Drop || e instanceof DialException d && d.failure() == DialFailure.DROPPED) return Refusal.DROPPED_BY_RULE;
        if (!(e instanceof FlowRefusedException)) return Refusal.FAILED;
        if (flow.protocol() == FlowId.Protocol.UDP && (outbound instanceof Outbound.Http || outbound instanceof Outbound.Socks5)) {
            return Refusal.UDP_TO_PROXY_WITHOUT_UDP;
        }
        if (flow.destinationName().isEmpty() && NstunAddresses.contains(flow.destination())) return Refusal.NSTUN_ADDRESS;
        return Refusal.NEVER_DIALED;
    }

    private Totals totals(Route route) {
        return routes.computeIfAbsent(route, r -> new Totals());
    }

    /** A flow as the stack names it (without the name of its fake destination), so that its end finds it. */
    private static FlowId key(FlowId flow) {
        return new FlowId(flow.protocol(), flow.source(), flow.sourcePort(), flow.destination(), flow.destinationPort());
    }

    /** Returns {@code upstream} counting its payload bytes into {@code totals} when it closes, and then running {@code ended}. */
    private static UdpUpstream counting(UdpUpstream upstream, Totals totals, Runnable ended) {
        return new UdpUpstream() {
            // The loop thread alone sends, receives and closes.
            private long sent;
            private long received;
            private boolean closed;

            @Override
            public DatagramChannel channel() {
                return upstream.channel();
            }

            @Override
            public boolean send(ByteBuffer payload) throws IOException {
                int n = payload.remaining();
                boolean taken = upstream.send(payload);
                if (taken) sent += n;
                return taken;
            }

            @Override
            public int receive(ByteBuffer dst) throws IOException {
                int n = upstream.receive(dst);
                if (n > 0) received += n;
                return n;
            }

            @Override
            public void close() throws IOException {
                try {
                    upstream.close();
                } finally {
                    if (!closed) {
                        closed = true;
                        totals.toUpstream.add(sent);
                        totals.fromUpstream.add(received);
                        ended.run();
                    }
                }
            }

            @Override
            public String toString() {
                return upstream.toString();
            }
        };
    }

    private static String count(long n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }

    /** Returns {@code n} bytes as people read them: 512 B, 1.5 KiB, 20.0 MiB. */
    static String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }
}
