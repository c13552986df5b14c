/**
 * nstun's resolver at 198.18.0.2 / fd4e:5354:554e::2: fake-ip answers and forwarding to an upstream.
 *
 * <p>Read first: RFC 1035 §4 (messages, compression), RFC 6891 (EDNS), RFC 7766 (DNS over TCP),
 * RFC 6761 §6.3 (localhost), RFC 9460 (SVCB/HTTPS). Then the pieces:
 * {@link dev.nstun.stack.dns.DnsMessage}, a view of a message that never throws once
 * {@code wrapChecked} accepts it; {@link dev.nstun.stack.dns.DnsAnswerWriter}, which writes
 * responses and truncates them for UDP; {@link dev.nstun.stack.dns.FakeIpPool}, the name-address
 * memory; {@link dev.nstun.stack.dns.DnsResolver}, the clock-free decision core;
 * {@link dev.nstun.stack.dns.DnsUpstream}, the seam to the upstream resolver; and
 * {@link dev.nstun.stack.dns.DnsTcpServer}, DNS over TCP on a UNIX socket.
 *
 * <p>The UDP glue's part, per datagram to port 53 of the resolver address (payload at
 * {@code [off, off + len)} of {@code buf}): call {@code resolver.handle(buf, off, len, out)} with
 * {@code out} having {@link dev.nstun.stack.dns.DnsResolver#MAX_LOCAL_RESPONSE} bytes of room.
 * On {@code ANSWERED}, send {@code out} from its position before the call to its position after;
 * on {@code DROP}, nothing; on {@code FORWARD}, copy the query out of the packet buffer (which the
 * loop reuses), and on a virtual thread call {@code upstream.exchange(copy)}, then
 * {@code DnsResolver.writeForwardedResponse(copyBuffer, 0, copy.length, responseOrNullOnIOException,
 * DnsResolver.maxUdpResponseLength(copyBuffer, 0, copy.length), out2)} and send {@code out2} back
 * from the loop thread. The TCP glue: connections to port 53 of the resolver address are dialed
 * with {@link dev.nstun.stack.dns.DnsTcpServer#connect()}.
 */
package dev.nstun.stack.dns;
