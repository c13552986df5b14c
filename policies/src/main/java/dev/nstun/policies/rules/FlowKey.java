package dev.nstun.policies.rules;

import dev.nstun.policies.config.DomainNames;
import dev.nstun.policies.config.IpLiteral;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.PortRange;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * What rules see of a flow: the destination name (known when the command asked the fake-IP
 * resolver), the destination address (absent when only the name is known), the destination port
 * and the network. The name is kept normalized (lower case, no trailing dot) and an IPv4-mapped
 * IPv6 address is kept as the IPv4 address it maps.
 *
 * @param port 1 to 65535, or 0 for "unknown" (only {@code explain} without a port uses it;
 *             a rule with a port condition never matches it)
 */
public record FlowKey(Optional<String> domain, Optional<InetAddress> address, int port, Network network) {

    public FlowKey {
        Objects.requireNonNull(network, "network");
        domain = domain.map(DomainNames::normalize).filter(d -> !d.isEmpty());
        address = address.map(a -> IpLiteral.toInetAddress(IpLiteral.unmap(a.getAddress())));
        if (domain.isEmpty() && address.isEmpty()) {
            throw new IllegalArgumentException("a flow needs a destination name or address");
        }
        if (port < 0 || port > PortRange.MAX_PORT) {
            throw new IllegalArgumentException("port " + port + " out of range");
        }
    }

    /** Returns a flow known only by name, as fake-IP DNS gives it. */
    public static FlowKey ofDomain(String domain, int port, Network network) {
        return new FlowKey(Optional.of(domain), Optional.empty(), port, network);
    }

    /** Returns a flow known only by address (a literal destination, or forward mode). */
    public static FlowKey ofAddress(InetAddress address, int port, Network network) {
        return new FlowKey(Optional.empty(), Optional.of(address), port, network);
    }

    /** Returns a flow known only by address, from the 4 or 16 bytes a packet carries. */
    public static FlowKey ofAddress(byte[] address, int port, Network network) {
        return ofAddress(IpLiteral.toInetAddress(address), port, network);
    }

    /** Returns the address bytes, or null without an address. */
    byte[] addressBytes() {
        return address.map(InetAddress::getAddress).orElse(null);
    }

    /** Returns {@code example.com:443/tcp} or {@code [fd00::1]:53/udp}; a name wins over an address. */
    @Override
    public String toString() {
        String host = domain.orElseGet(() -> {
            String a = IpLiteral.format(address.orElseThrow());
            return a.indexOf(':') >= 0 ? "[" + a + "]" : a;
        });
        return host + (port == 0 ? "" : ":" + port) + "/" + network.label();
    }
}
