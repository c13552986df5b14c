package dev.nstun.stack;

import dev.nstun.stack.wire.DropReason;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/** Why packets were dropped, and how DNS queries were answered: counted by the loop thread, readable from any thread. */
public final class StackCounters {
    /** How the resolver answered a query over UDP. */
    public enum Dns {
        /** Answered by nstun itself: a fake address, its PTR, or NXDOMAIN for a name the rules refuse. */
        ANSWERED_HERE,
        /** Relayed from the upstream resolver. */
        FORWARDED,
        /** Answered SERVFAIL: the upstream said so or gave no usable answer, or too many queries waited for it. */
        SERVFAIL
    }

    /** Drops that are the stack's decision rather than a malformed packet. */
    public enum Drop {
        /** A datagram arrived while its flow's upstream was still opening and the queue was full. */
        UDP_PENDING_FULL,
        /** The upstream socket could not take a datagram at once. */
        UDP_UPSTREAM_BUSY,
        /** A SYN found the connection table full. */
        TCP_BACKLOG_FULL,
        /** A half-open connection gave way to a newer SYN (a SYN flood, or dials that never finish). */
        TCP_HALF_OPEN_EVICTED,
        /** A source address no packet may carry (see {@link dev.nstun.stack.wire.AddressScope#validSource()}): a martian, dropped silently. */
        MARTIAN_SOURCE,
        /** A destination that leads back to the host or nowhere (loopback, unspecified, IPv4-mapped, reserved, IPv6 link-local): never relayed; TCP and UDP are answered "network unreachable". */
        UNROUTABLE_DESTINATION,
        /** A multicast or broadcast destination: no single peer to relay to, and no ICMP error about it (RFC 1122 §3.2.2). */
        GROUP_DESTINATION,
        /** A protocol the stack does not relay (yet). */
        NOT_RELAYED,
        /** A flow to a fake address that stands for no name (handed out before a restart, or forgotten): refused. */
        FAKE_ADDRESS_WITHOUT_NAME,
        /** A DNS query that is not even a DNS header. */
        DNS_MALFORMED,
        /** A DNS query found too many queries already waiting for the upstream (answered SERVFAIL). */
        DNS_TOO_MANY_PENDING
    }

    private final AtomicLongArray malformed = new AtomicLongArray(DropReason.values().length);
    private final AtomicLongArray decided = new AtomicLongArray(Drop.values().length);
    private final AtomicLongArray dns = new AtomicLongArray(Dns.values().length);

    /** Counts a malformed packet. */
    public void count(DropReason reason) {
        malformed.incrementAndGet(reason.ordinal());
    }

    /** Counts a packet the stack chose to drop. */
    public void count(Drop reason) {
        decided.incrementAndGet(reason.ordinal());
    }

    /** Counts a DNS answer. */
    public void count(Dns answer) {
        dns.incrementAndGet(answer.ordinal());
    }

    /** Returns the DNS answers by kind, every kind present. */
    public Map<String, Long> dnsSnapshot() {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (Dns d : Dns.values()) m.put(d.name(), dns.get(d.ordinal()));
        return m;
    }

    /** Returns the non-zero drop counters by name. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (DropReason r : DropReason.values()) {
            long v = malformed.get(r.ordinal());
            if (v != 0) m.put(r.name(), v);
        }
        for (Drop r : Drop.values()) {
            long v = decided.get(r.ordinal());
            if (v != 0) m.put(r.name(), v);
        }
        return m;
    }

    /** Returns the count for one reason. */
    public long get(DropReason reason) {
        return malformed.get(reason.ordinal());
    }

    /** Returns the count for one reason. */
    public long get(Drop reason) {
        return decided.get(reason.ordinal());
    }

    /** Returns the count for one kind of DNS answer. */
    public long get(Dns answer) {
        return dns.get(answer.ordinal());
    }
}
