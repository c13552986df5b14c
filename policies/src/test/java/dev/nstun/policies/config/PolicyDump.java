package dev.nstun.policies.config;

/** A complete, stable text form of a loaded policy, secrets included, for golden files. */
final class PolicyDump {
    private PolicyDump() {
    }

    static String dump(Policy policy) {
        StringBuilder out = new StringBuilder("OK ").append(policy.source()).append('\n');
        out.append("outbounds:\n");
        for (Outbound o : policy.outbounds().values()) {
            out.append("  ").append(o.name()).append(": ").append(o.describe());
            switch (o) {
                case Outbound.Socks5 s -> out.append(secret(s.credentials())).append(", timeout ").append(Durations.format(s.connectTimeout()));
                case Outbound.Http h -> out.append(secret(h.credentials())).append(", timeout ").append(Durations.format(h.connectTimeout()));
                case Outbound.Direct d -> out.append(", timeout ").append(Durations.format(d.connectTimeout()));
                default -> {
                }
            }
            out.append(o.location().inFile() ? " [line " + o.location().line() + "]" : " [built in]").append('\n');
        }
        out.append("rules:\n");
        for (Rule r : policy.rules()) {
            out.append("  ").append(r.number()).append(r.isImplicit() ? " (implicit)" : " (line " + r.location().line() + ")")
                    .append(": ").append(r.text()).append('\n');
        }
        out.append("dns: ").append(policy.dns().mode().label()).append(", upstream ").append(policy.dns().upstream())
                .append(", via ").append(policy.dns().via().orElse("(not set)")).append(", carried by ")
                .append(policy.dnsOutbound().name()).append('\n');
        return out.toString();
    }

    private static String secret(java.util.Optional<Credentials> credentials) {
        return credentials.map(c -> ", password '" + c.password() + "'").orElse("");
    }
}
