package dev.nstun.stack.flow;

/**
 * One live flow as the stack sees it at a moment: who talks to whom (with the name a fake destination
 * stands for), where the flow stands, the payload bytes relayed each way so far and how long ago it
 * began. Taken on the loop thread ({@link dev.nstun.stack.NetStack#snapshot}); a value, safe anywhere.
 *
 * @param id                the flow as its packets name it (the dialer saw the same protocol, addresses and ports)
 * @param state             where the flow stands: a TCP state ({@link dev.nstun.stack.tcp.TcpState}'s name),
 *                          {@code DIALING} or {@code DROPPED}; for UDP {@code OPENING}, {@code OPEN} or {@code REFUSED};
 *                          for ICMP echo {@code OPEN}, {@code REFUSED} or {@code UNREACHABLE}
 * @param bytesToUpstream   payload bytes the command sent that went upstream
 * @param bytesFromUpstream payload bytes from upstream relayed to the command
 * @param ageNanos          how long ago the command's first packet of the flow arrived
 */
public record FlowSnapshot(FlowId id, String state, long bytesToUpstream, long bytesFromUpstream, long ageNanos) {}
