package dev.nstun.stack;

import dev.nstun.stack.flow.FlowSnapshot;
import java.util.List;
import java.util.Map;

/**
 * The stack at one moment, taken on its loop thread ({@link NetStack#snapshot}): its live flows and
 * its counters. A value: safe to read on any thread.
 *
 * @param flows      the TCP flows, then the UDP flows, then the ICMP echo flows, each table in its own order
 * @param drops      packets dropped, by reason (non-zero counts only: {@link StackCounters#snapshot})
 * @param echoDrops  ICMP echo packets dropped, by reason
 * @param dns        DNS answers over UDP, by kind ({@link StackCounters.Dns})
 * @param packetsIn  packets read from the device
 * @param packetsOut packets written to it
 */
public record StackSnapshot(List<FlowSnapshot> flows, Map<String, Long> drops, Map<String, Long> echoDrops, Map<String, Long> dns,
                            long packetsIn, long packetsOut) {
    public StackSnapshot {
        flows = List.copyOf(flows);
        drops = Map.copyOf(drops);
        echoDrops = Map.copyOf(echoDrops);
        dns = Map.copyOf(dns);
    }
}
