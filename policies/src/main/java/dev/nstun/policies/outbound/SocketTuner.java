package dev.nstun.policies.outbound;

import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.outbound.OutboundException.Kind;
import java.io.IOException;
import java.nio.channels.NetworkChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies what a {@code direct} outbound asks of its sockets and the JDK cannot do:
 * {@code interface} ({@code SO_BINDTODEVICE}) and {@code fwmark} ({@code SO_MARK}). Both need a
 * {@code setsockopt} on the channel's descriptor; only the netns module talks to the kernel, and
 * policies must not depend on it, so the CLI installs a tuner built there (see
 * {@link Connectors#Connectors(java.time.Duration, SocketTuner)}).
 *
 * <p>{@link Connectors} calls the tuner for every socket, TCP or UDP, of a direct outbound that sets
 * {@code interface} or {@code fwmark}, after creating it and before binding or connecting it: a
 * socket bound to a device after {@code connect} would keep the route it already chose.
 * {@code source-address} needs no tuner ({@link NetworkChannel#bind} does it).
 */
@FunctionalInterface
public interface SocketTuner {
    /**
     * The tuner of a build without kernel access: it refuses every socket it is asked to tune, so a
     * flow whose outbound names an interface or fwmark is refused rather than sent where the host's
     * routing table happens to send it (nstun fails closed).
     */
    SocketTuner NONE = (channel, outbound) -> {
        throw new OutboundException(Kind.UNSUPPORTED, "outbound " + outbound.name() + " sets " + options(outbound)
                + ", which this nstun cannot apply (no socket tuner installed), so its flows are refused; remove "
                + (outbound.bindInterface().isPresent() && outbound.fwmark().isPresent() ? "them" : "it")
                + " to use the host's routing table");
    };

    /**
     * Sets the options of {@code outbound} on {@code channel}, which is open and not yet bound or
     * connected; throws when one cannot be set (the flow is then refused).
     */
    void tune(NetworkChannel channel, Outbound.Direct outbound) throws IOException;

    /** Returns whether {@code outbound} sets an option only a tuner can apply. */
    static boolean needsTuning(Outbound.Direct outbound) {
        return outbound.bindInterface().isPresent() || outbound.fwmark().isPresent();
    }

    /** Returns the options a tuner applies, as people write them: {@code interface eth0 and fwmark 0x20}. */
    static String options(Outbound.Direct outbound) {
        List<String> parts = new ArrayList<>();
        outbound.bindInterface().ifPresent(i -> parts.add("interface " + i));
        if (outbound.fwmark().isPresent()) {
            parts.add("fwmark 0x" + Long.toHexString(outbound.fwmark().getAsLong()));
        }
        return String.join(" and ", parts);
    }
}
