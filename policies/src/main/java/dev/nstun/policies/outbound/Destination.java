package dev.nstun.policies.outbound;

import dev.nstun.policies.config.IpLiteral;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * Where an outbound takes a flow: a name, an address or both, and a port. Nothing here resolves
 * names. A proxy is given the name when there is one, so the name is resolved at the proxy (remote
 * DNS, as fake-IP mode needs); {@code direct} connects to the address when there is one and
 * resolves the name otherwise.
 *
 * @param port 0 to 65535 (0 appears only in addresses read from the wire)
 */
public record Destination(Optional<String> name, Optional<InetAddress> address, int port) {
    /** The longest name SOCKS5 can carry: its length travels in one byte. */
    public static final int MAX_NAME_BYTES = 255;

    public Destination {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(address, "address");
        if (name.isEmpty() && address.isEmpty()) {
            throw new IllegalArgumentException("a destination needs a name or an address");
        }
        name.ifPresent(n -> {
            int bytes = n.getBytes(StandardCharsets.UTF_8).length;
            if (bytes == 0 || bytes > MAX_NAME_BYTES) {
                throw new IllegalArgumentException("a destination name has 1 to " + MAX_NAME_BYTES + " bytes, not " + bytes);
            }
        });
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " out of range");
        }
    }

    /** Returns the destination {@code host} names: an IP literal becomes an address, anything else a name. */
    public static Destination of(String host, int port) {
        Optional<InetAddress> literal = IpLiteral.parse(host);
        return literal.isPresent() ? of(literal.get(), port) : new Destination(Optional.of(host), Optional.empty(), port);
    }

    /** Returns a destination known by address only. */
    public static Destination of(InetAddress address, int port) {
        return new Destination(Optional.empty(), Optional.of(address), port);
    }

    /** Returns the destination of a socket address: its address, or its host name when unresolved. */
    public static Destination of(InetSocketAddress socketAddress) {
        return socketAddress.isUnresolved() ? of(socketAddress.getHostString(), socketAddress.getPort())
                : of(socketAddress.getAddress(), socketAddress.getPort());
    }

    /** Returns what a proxy is asked for: the name when there is one, else the address in text form. */
    public String host() {
        return name.orElseGet(() -> IpLiteral.format(address.orElseThrow()));
    }

    /** Returns what a proxy is asked for as {@code host:port}, with brackets around an IPv6 address. */
    public String authority() {
        return bracketed(host()) + ":" + port;
    }

    /**
     * Returns {@code host:port} for messages, with brackets around an IPv6 address, the name
     * {@linkplain UntrustedText escaped}: a name may come from a proxy's reply.
     */
    @Override
    public String toString() {
        return bracketed(name.map(UntrustedText::printable).orElseGet(this::host)) + ":" + port;
    }

    private static String bracketed(String host) {
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }
}
