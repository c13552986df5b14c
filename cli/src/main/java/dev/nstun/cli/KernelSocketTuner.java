package dev.nstun.cli;

import dev.nstun.netns.SocketTuning;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.outbound.OutboundException;
import dev.nstun.policies.outbound.SocketTuner;
import java.io.IOException;
import java.nio.channels.NetworkChannel;

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
}
