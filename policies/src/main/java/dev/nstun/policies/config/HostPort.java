package dev.nstun.policies.config;

import java.net.InetAddress;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A host (name, IPv4 or IPv6 address) and a port, written {@code host:port} or {@code [v6]:port}.
 * The host is stored without brackets.
 */
public record HostPort(String host, int port) {
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?");
    private static final int MAX_NAME_LENGTH = 253;

    public HostPort {
        if (port < 1 || port > PortRange.MAX_PORT) {
            throw new IllegalArgumentException("port " + port + " out of range");
        }
    }

    /**
     * Parses {@code host:port}, {@code [v6]:port}, or, when {@code defaultPort} is not 0, also a host
     * alone ({@code host}, {@code [v6]} or a bare IPv6 address).
     *
     * @throws IllegalArgumentException with a message saying what is wrong and what was expected
     */
    public static HostPort parse(String text, int defaultPort) {
        String example = defaultPort == 0 ? "host:port, e.g. proxy.example:1080 or [fd00::1]:1080"
                : "host or host:port, e.g. 9.9.9.9 or [2620:fe::fe]:53";
        if (text.contains("://")) {
            throw new IllegalArgumentException("this is a URL: expected " + example);
        }
        String host;
        String portText;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("'[' without ']': expected " + example);
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (IpLiteral.parseBytes(host).filter(b -> b.length == 16).isEmpty()) {
                throw new IllegalArgumentException("'" + host + "' in brackets is not an IPv6 address");
            }
            if (rest.isEmpty()) {
                portText = null;
            } else if (rest.startsWith(":")) {
                portText = rest.substring(1);
            } else {
                throw new IllegalArgumentException("unexpected '" + rest + "' after ']': expected " + example);
            }
        } else {
            int colon = text.lastIndexOf(':');
            if (colon >= 0 && text.indexOf(':') != colon) {
                if (defaultPort != 0 && IpLiteral.parseBytes(text).isPresent()) {
                    return new HostPort(text, defaultPort);
                }
                throw new IllegalArgumentException("write an IPv6 address in brackets, e.g. [fd00::1]:1080");
            }
            host = colon < 0 ? text : text.substring(0, colon);
            portText = colon < 0 ? null : text.substring(colon + 1);
            checkHost(host, example);
        }
        if (portText == null) {
            if (defaultPort == 0) {
                throw new IllegalArgumentException("no port: expected " + example);
            }
            return new HostPort(host, defaultPort);
        }
        return new HostPort(host, parsePort(portText));
    }

    /** Returns the address when the host is an IP literal; a name yields empty (nothing is resolved). */
    public Optional<InetAddress> address() {
        return IpLiteral.parse(host);
    }

    /** Returns {@code host:port}, with brackets around an IPv6 host. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static void checkHost(String host, String example) {
        if (host.isEmpty()) {
            throw new IllegalArgumentException("no host: expected " + example);
        }
        if (IpLiteral.looksLikeIpv4(host)) {
            if (IpLiteral.parseBytes(host).isEmpty()) {
                throw new IllegalArgumentException("'" + host + "' is not a valid IPv4 address");
            }
            return;
        }
        String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        boolean valid = !name.isEmpty() && name.length() <= MAX_NAME_LENGTH;
        for (String label : name.split("\\.", -1)) {
            valid &= LABEL.matcher(label).matches();
        }
        if (!valid) {
            throw new IllegalArgumentException("'" + host + "' is not a valid host name or IP address");
        }
    }

    private static int parsePort(String text) {
        int port = text.matches("[0-9]{1,5}") ? Integer.parseInt(text) : -1;
        if (port < 1 || port > PortRange.MAX_PORT) {
            throw new IllegalArgumentException("port '" + text + "' is not a port number (expected 1 to 65535)");
        }
        return port;
    }
}
