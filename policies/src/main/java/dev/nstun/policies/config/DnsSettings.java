package dev.nstun.policies.config;

import java.util.Locale;
import java.util.Optional;

/**
 * How the namespace's resolver answers.
 *
 * @param mode     fake-ip (A/AAAA answered locally with fake addresses) or forward (every query relayed)
 * @param upstream the server that other queries (or, in forward mode, all queries) go to
 * @param via      the outbound that carries queries to the upstream as the file names it; when empty,
 *                 the outbound of the final rule (see {@link Policy#dnsOutbound()})
 */
public record DnsSettings(Mode mode, Upstream upstream, Optional<String> via) {

    /** The settings of a file without a {@code dns} section: fake-ip, {@code tcp://9.9.9.9:53}, no via. */
    public static final DnsSettings DEFAULT = new DnsSettings(Mode.FAKE_IP, new Upstream(Network.TCP, new HostPort("9.9.9.9", 53)),
            Optional.empty());

    /** The resolver's way of answering. */
    public enum Mode {
        FAKE_IP("fake-ip"),
        FORWARD("forward");

        private final String label;

        Mode(String label) {
            this.label = label;
        }

        /** Returns the name the policy file uses. */
        public String label() {
            return label;
        }
    }

    /** A DNS server and the transport to reach it with: {@code udp://host:port} or {@code tcp://host:port}. */
    public record Upstream(Network transport, HostPort server) {
        /** Port of an upstream that does not name one. */
        public static final int DEFAULT_PORT = 53;

        /**
         * Parses {@code udp://HOST[:PORT]} or {@code tcp://HOST[:PORT]} (the scheme in any case,
         * port {@value #DEFAULT_PORT} by default); text without a scheme means {@code schemeless}
         * when given and is refused otherwise. The one parser for a policy's {@code dns.upstream}
         * and the command line's {@code --dns-upstream}.
         *
         * @throws IllegalArgumentException whose message says what is wrong and what was expected
         */
        public static Upstream parse(String text, Optional<Network> schemeless) {
            String expected = "expected udp://HOST[:PORT] or tcp://HOST[:PORT], e.g. tcp://9.9.9.9:53";
            int scheme = text.indexOf("://");
            if (scheme < 0) {
                if (schemeless.isEmpty()) throw new IllegalArgumentException(expected);
                return new Upstream(schemeless.get(), HostPort.parse(text, DEFAULT_PORT));
            }
            String name = text.substring(0, scheme).toLowerCase(Locale.ROOT);
            Network transport = switch (name) {
                case "udp" -> Network.UDP;
                case "tcp" -> Network.TCP;
                default -> throw new IllegalArgumentException(expected + switch (name) {
                    case "tls", "https", "h3", "quic" -> "; DNS over TLS, HTTPS or QUIC is not supported yet (tcp:// goes through "
                            + "the outbound like any TCP flow)";
                    default -> "";
                });
            };
            return new Upstream(transport, HostPort.parse(text.substring(scheme + 3), DEFAULT_PORT));
        }

        @Override
        public String toString() {
            return transport.label() + "://" + server;
        }
    }
}
