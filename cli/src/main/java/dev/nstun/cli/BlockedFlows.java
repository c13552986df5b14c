package dev.nstun.cli;

import dev.nstun.policies.config.IpLiteral;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.outbound.UntrustedText;
import dev.nstun.stack.flow.FlowId;
import java.io.PrintWriter;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Tells the user what the policy's final rule refused (default deny), and how to allow it: one
 * line on stderr per destination, e.g.
 * {@code nstun: blocked tcp api.example.com:443 (no rule allows it) — add --allow api.example.com:443};
 * later refusals of the same destination are only counted, and {@link #summarize} gives the count
 * at exit. Names come from the command: they are shown printable and shortened. Thread-safe.
 */
final class BlockedFlows {
    /** Destinations reported one by one; past them a command scanning addresses gets one more line, not thousands. */
    static final int MAX_REPORTED = 200;

    private final PrintWriter err;
    private final Set<String> reported = ConcurrentHashMap.newKeySet();
    private final LongAdder refusals = new LongAdder();
    private final AtomicBoolean overflowSaid = new AtomicBoolean();

    BlockedFlows(PrintWriter err) {
        this.err = err;
    }

    /** A flow of {@code network} to {@code flow}'s destination (its name when it has one) was refused. */
    void flow(Network network, FlowId flow) {
        String host = flow.destinationName().map(UntrustedText::printable).orElseGet(() -> {
            String a = IpLiteral.format(flow.destination());
            return a.indexOf(':') >= 0 ? "[" + a + "]" : a;
        });
        String destination = host + ":" + flow.destinationPort();
        refused(network.label() + " " + destination, network == Network.TCP ? destination : "udp:" + destination);
    }

    /** The command's DNS query for {@code name} got NXDOMAIN because no flow to the name may go anywhere. */
    void name(String name) {
        String shown = UntrustedText.printable(name);
        refused("dns " + shown, shown);
    }

    private void refused(String what, String pattern) {
        refusals.increment();
        if (reported.contains(what)) return;
        if (reported.size() >= MAX_REPORTED) {
            if (overflowSaid.compareAndSet(false, true)) {
                err.println("nstun: blocked more than " + MAX_REPORTED + " destinations; the rest are only counted (-v shows each)");
            }
            return;
        }
        if (reported.add(what)) err.println("nstun: blocked " + what + " (no rule allows it) — add --allow " + pattern);
    }

    /** Says how many refusals there were in all, when some were not reported one by one. */
    void summarize() {
        long all = refusals.sum();
        if (all > reported.size()) {
            boolean one = reported.size() == 1 && !overflowSaid.get();
            err.println("nstun: blocked " + all + " flows and queries in all, to " + reported.size()
                    + (overflowSaid.get() ? "+" : "") + (one ? " destination" : " destinations") + " (no rule allows them)");
        }
    }
}
