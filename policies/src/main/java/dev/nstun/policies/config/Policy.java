package dev.nstun.policies.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A loaded, valid policy: outbounds by name (declared ones in file order, then the built-ins not
 * overridden), rules in order with a catch-all last (the file's own, or the implicit
 * {@code {outbound: reject}}), and the DNS settings.
 *
 * @param source the file as the user named it
 */
public record Policy(String source, Map<String, Outbound> outbounds, List<Rule> rules, DnsSettings dns) {

    /** Outbound of the final rule added when a file has none: fail closed. */
    public static final String IMPLICIT_FINAL_OUTBOUND = "reject";

    public Policy {
        outbounds = Collections.unmodifiableMap(new LinkedHashMap<>(outbounds));
        rules = List.copyOf(rules);
        if (rules.isEmpty() || !rules.get(rules.size() - 1).isCatchAll()) {
            throw new IllegalArgumentException("a policy's last rule must match every flow");
        }
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            if (rule.index() != i) {
                throw new IllegalArgumentException("rule " + i + " has index " + rule.index());
            }
            if (!outbounds.containsKey(rule.outbound())) {
                throw new IllegalArgumentException("rule " + rule.number() + " names unknown outbound " + rule.outbound());
            }
        }
        if (dns.via().isPresent() && !outbounds.containsKey(dns.via().get())) {
            throw new IllegalArgumentException("dns.via names unknown outbound " + dns.via().get());
        }
    }

    /**
     * Returns the policy "every flow directly" (the built-in outbounds, a final rule to
     * {@code direct}) with fake-ip DNS forwarding other queries to {@code upstream} directly: what
     * a run without a policy file or proxy does, as a policy that {@link AccessList#restrict} can
     * put rules in front of.
     *
     * @param source what problems and explanations call it, e.g. {@code command line}
     */
    public static Policy direct(DnsSettings.Upstream upstream, String source) {
        Map<String, Outbound> outbounds = new LinkedHashMap<>();
        for (Outbound builtIn : Outbound.builtIns()) {
            outbounds.put(builtIn.name(), builtIn);
        }
        return new Policy(source, outbounds, List.of(Rule.implicitFinal(0, "direct", source)),
                new DnsSettings(DnsSettings.Mode.FAKE_IP, upstream, Optional.of("direct")));
    }

    /** Returns the outbound called {@code name}, or empty. */
    public Optional<Outbound> outbound(String name) {
        return Optional.ofNullable(outbounds.get(name));
    }

    /** Returns the last rule, which matches every flow. */
    public Rule finalRule() {
        return rules.get(rules.size() - 1);
    }

    /** Returns the outbound that carries queries to the DNS upstream: {@code dns.via}, else the final rule's. */
    public Outbound dnsOutbound() {
        return outbounds.get(dns.via().orElse(finalRule().outbound()));
    }
}
