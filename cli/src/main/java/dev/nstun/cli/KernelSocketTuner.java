package dev.nstun.cli;

import dev.nstun.netns.Privileges;
import dev.nstun.netns.SocketTuning;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PolicyException;
import dev.nstun.policies.config.Problem;
import dev.nstun.policies.outbound.OutboundException;
import dev.nstun.policies.outbound.SocketTuner;
import java.io.IOException;
import java.nio.channels.NetworkChannel;
import java.util.List;

/** Applies a direct outbound's {@code interface} and {@code fwmark} through the netns module. */
final class KernelSocketTuner implements SocketTuner {
    @Override
    public void tune(NetworkChannel channel, Outbound.Direct outbound) throws IOException {
        try {
            if (outbound.bindInterface().isPresent()) SocketTuning.bindToDevice(channel, outbound.bindInterface().get());
            if (outbound.fwmark().isPresent()) SocketTuning.setMark(channel, outbound.fwmark().getAsLong());
        } catch (IOException e) {
            // A ConnectException kind: the command gets a refusal at once, and the log says why.
            throw new OutboundException(OutboundException.Kind.UNSUPPORTED, "outbound " + outbound.name() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Throws when {@code policy} asks for what only the host's root may do and this nstun runs
     * without it (rootless): {@code interface} needs CAP_NET_RAW and {@code fwmark} CAP_NET_ADMIN in
     * the host's own namespace. Said when the policy is loaded, not at its first flow.
     */
    static void requireApplicable(Policy policy, Privileges.Mode mode) throws PolicyException {
        if (mode == Privileges.Mode.ROOT) return;
        List<Problem> problems = policy.outbounds().values().stream()
                .filter(o -> o instanceof Outbound.Direct d && SocketTuner.needsTuning(d))
                .map(o -> Problem.at(o.location(), "outbound " + o.name() + " sets " + SocketTuner.options((Outbound.Direct) o)
                        + ", which needs root (interface: CAP_NET_RAW, fwmark: CAP_NET_ADMIN, in the host's namespace);"
                        + " nstun runs rootless: run it with sudo, or remove it to use the host's routing table"))
                .toList();
        if (!problems.isEmpty()) throw new PolicyException(problems);
    }
}
