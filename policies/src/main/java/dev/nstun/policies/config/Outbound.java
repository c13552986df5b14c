package dev.nstun.policies.config;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where a flow goes once a rule has chosen it. Every outbound has a name that rules refer to, and
 * the place in the policy file that declared it ({@link Location#inFile()} is false for the
 * built-ins {@code direct}, {@code reject} and {@code drop}).
 */
public sealed interface Outbound {
    /** Connect timeout of socks5, http and direct outbounds that do not set {@code connect-timeout}. */
    Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    /** Returns the name rules use. */
    String name();

    /** Returns where the outbound was declared. */
    Location location();

    /** Returns the {@code type} the policy file writes: socks5, http, direct, reject, drop, or a group's strategy. */
    String type();

    /** Returns whether flows of {@code network} can be relayed through this outbound. */
    boolean carries(Network network);

    /** Returns a one-line summary without secrets, e.g. {@code socks5 10.0.0.5:1080, user alice, udp}. */
    String describe();

    /** Returns the outbounds that exist without being declared: {@code direct}, {@code reject}, {@code drop}. */
    static List<Outbound> builtIns() {
        Location builtIn = Location.nowhere("(built-in)");
        return List.of(
                new Direct("direct", Optional.empty(), OptionalLong.empty(), Optional.empty(), DEFAULT_CONNECT_TIMEOUT, builtIn),
                new Reject("reject", builtIn),
                new Drop("drop", builtIn));
    }

    /**
     * A SOCKS5 proxy (RFC 1928): TCP by CONNECT, with the destination name when the flow has one;
     * UDP by UDP ASSOCIATE when {@code udp} is true. Credentials use RFC 1929; with an
     * {@code isolate} other than {@link Isolation#NONE} nstun makes them up per isolation unit
     * (and the outbound has none of its own).
     */
    record Socks5(String name, HostPort server, Optional<Credentials> credentials, boolean udp, Isolation isolate,
                  Duration connectTimeout, Location location) implements Outbound {
        public Socks5 {
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(isolate, "isolate");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            if (isolate != Isolation.NONE && credentials.isPresent()) {
                throw new IllegalArgumentException("isolate " + isolate.label() + " makes up the credentials: the outbound has none");
            }
        }

        /** Returns an outbound without stream isolation (what code that builds outbounds itself, and tests, use). */
        public Socks5(String name, HostPort server, Optional<Credentials> credentials, boolean udp, Duration connectTimeout,
                      Location location) {
            this(name, server, credentials, udp, Isolation.NONE, connectTimeout, location);
        }

        @Override
        public String type() {
            return "socks5";
        }

        @Override
        public boolean carries(Network network) {
            return network == Network.TCP || udp;
        }

        @Override
        public String describe() {
            return "socks5 " + server + credentials.map(c -> ", user " + c.username()).orElse("") + (udp ? ", udp" : "")
                    + (isolate == Isolation.NONE ? "" : ", isolate " + isolate.label()) + timeoutSuffix(connectTimeout);
        }
    }

    /** An HTTP proxy reached by CONNECT (RFC 9110 §9.3.6), with basic authentication; TCP only. */
    record Http(String name, HostPort server, Optional<Credentials> credentials, Duration connectTimeout, Location location)
            implements Outbound {
        public Http {
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
        }

        @Override
        public String type() {
            return "http";
        }

        @Override
        public boolean carries(Network network) {
            return network == Network.TCP;
        }

        @Override
        public String describe() {
            return "http " + server + credentials.map(c -> ", user " + c.username()).orElse("") + timeoutSuffix(connectTimeout);
        }
    }

    /**
     * Straight to the destination from the init namespace, optionally bound to an interface
     * ({@code SO_BINDTODEVICE}), marked ({@code SO_MARK}, an unsigned 32-bit value) or bound to a
     * source address. A name-only flow is resolved there.
     */
    record Direct(String name, Optional<String> bindInterface, OptionalLong fwmark, Optional<InetAddress> sourceAddress,
                  Duration connectTimeout, Location location) implements Outbound {
        @Override
        public String type() {
            return "direct";
        }

        @Override
        public boolean carries(Network network) {
            return true;
        }

        @Override
        public String describe() {
            return "direct" + bindInterface.map(i -> ", interface " + i).orElse("")
                    + (fwmark.isPresent() ? ", fwmark 0x" + Long.toHexString(fwmark.getAsLong()) : "")
                    + sourceAddress.map(a -> ", source-address " + IpLiteral.format(a)).orElse("")
                    + timeoutSuffix(connectTimeout);
        }
    }

    /**
     * Several outbounds as one: a flow is opened through the first member that connects, the
     * members tried in the order the {@link Strategy} gives, each only once, all within
     * {@code connectTimeout}. Members are proxies, direct outbounds or other groups, never reject or
     * drop, and no group is its own member. A UDP flow goes through the first member (in declared
     * order) that {@linkplain #carries carries} UDP.
     */
    record Group(String name, Strategy strategy, List<Outbound> members, Duration connectTimeout, Location location)
            implements Outbound {
        public Group {
            Objects.requireNonNull(strategy, "strategy");
            members = List.copyOf(members);
            if (members.isEmpty()) {
                throw new IllegalArgumentException("group " + name + " has no members");
            }
            Objects.requireNonNull(connectTimeout, "connectTimeout");
        }

        /** The order a group tries its members in. */
        public enum Strategy {
            /** In the order declared: the first is used while it works. */
            FALLBACK("fallback"),
            /** A member chosen at random first, then the others in declared order after it. */
            RANDOM("random"),
            /** Each flow starts one member further along than the flow before, then the others in order. */
            ROUND_ROBIN("round-robin");

            private final String spelling;

            Strategy(String spelling) {
                this.spelling = spelling;
            }

            /** Returns how the policy file writes it: {@code fallback}, {@code random}, {@code round-robin}. */
            public String spelling() {
                return spelling;
            }

            /** Returns the strategy spelt {@code type}, if any. */
            public static Optional<Strategy> of(String type) {
                for (Strategy s : values()) {
                    if (s.spelling.equals(type)) {
                        return Optional.of(s);
                    }
                }
                return Optional.empty();
            }
        }

        @Override
        public String type() {
            return strategy.spelling();
        }

        /** Returns whether any member carries {@code network}. */
        @Override
        public boolean carries(Network network) {
            return members.stream().anyMatch(m -> m.carries(network));
        }

        /** Returns the member UDP flows go through: the first, in declared order, that carries UDP. */
        public Optional<Outbound> udpMember() {
            return members.stream().filter(m -> m.carries(Network.UDP)).findFirst();
        }

        @Override
        public String describe() {
            return strategy.spelling() + " of " + String.join(", ", members.stream().map(Outbound::name).toList())
                    + timeoutSuffix(connectTimeout);
        }
    }

    /** Refuses the flow at once: TCP RST, ICMP port or administratively-prohibited unreachable. */
    record Reject(String name, Location location) implements Outbound {
        @Override
        public String type() {
            return "reject";
        }

        @Override
        public boolean carries(Network network) {
            return false;
        }

        @Override
        public String describe() {
            return "reject";
        }
    }

    /** Drops the flow's packets silently; the command sees a timeout. */
    record Drop(String name, Location location) implements Outbound {
        @Override
        public String type() {
            return "drop";
        }

        @Override
        public boolean carries(Network network) {
            return false;
        }

        @Override
        public String describe() {
            return "drop";
        }
    }

    private static String timeoutSuffix(Duration timeout) {
        return timeout.equals(DEFAULT_CONNECT_TIMEOUT) ? "" : ", connect-timeout " + Durations.format(timeout);
    }
}
