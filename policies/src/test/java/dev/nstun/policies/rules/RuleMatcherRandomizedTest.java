package dev.nstun.policies.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.config.Cidr;
import dev.nstun.policies.config.DnsSettings;
import dev.nstun.policies.config.IpLiteral;
import dev.nstun.policies.config.Location;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PortRange;
import dev.nstun.policies.config.Rule;
import dev.nstun.policies.config.RuleSet;
import java.math.BigInteger;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The indexed matcher against a plain loop over the rules, written here from the documented
 * semantics without the main code's helpers, on thousands of random rules and flows. Names,
 * addresses and ports come from small pools, so that rules overlap a lot and order matters.
 */
class RuleMatcherRandomizedTest {
    private static final String[] LABELS = {"a", "b", "ab", "ba", "corp", "ads", "x-1", "_s", "cdn7", "com", "net", "b.a"};
    private static final String[] KEYWORDS = {"a", "ab", "ba", "b-", "ads", "orp", "x-", ".c", "a.b", "cdn", "s.a", "zz"};
    private static final String[] REGEXES = {"^a\\.", "b$", "cdn[0-9]", "^(corp|ads)\\.", "x-1\\.a", "\\.com$"};
    private static final int RULES = 3000;
    private static final int FLOWS = 20000;
    private static final int SETS = 6;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 2024})
    void indexedMatcherAgreesWithTheLinearDefinition(long seed) {
        Random random = new Random(seed);
        List<RuleSet> sets = new ArrayList<>();
        for (int i = 0; i < SETS; i++) {
            sets.add(randomSet(random, "set" + i));
        }
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < RULES; i++) {
            rules.add(randomRule(random, i, sets));
        }
        rules.add(new Rule(RULES, List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), Set.of(), "direct",
                new Location("random.yaml", RULES + 1, 3)));
        Map<String, Outbound> outbounds = new LinkedHashMap<>();
        Outbound.builtIns().forEach(o -> outbounds.put(o.name(), o));
        Policy policy = new Policy("random.yaml", outbounds, rules, DnsSettings.DEFAULT);
        RuleMatcher matcher = RuleMatcher.of(policy);

        int beforeFinal = 0;
        for (int f = 0; f < FLOWS; f++) {
            FlowKey flow = randomFlow(random);
            int want = linear(rules, flow);
            int got = matcher.match(flow).rule().index();
            assertEquals(want, got, "seed " + seed + ", flow " + flow + ": got rule index " + got + ", want " + want);
            int byRule = byRuleMatches(rules, flow);
            assertEquals(want, byRule, "seed " + seed + ", flow " + flow + ": Rule.matches gives " + byRule + ", want " + want);
            if (want < RULES) {
                beforeFinal++;
            }
        }
        // The pools are small enough that most flows meet a real rule, not only the final one.
        assertTrue(beforeFinal > FLOWS / 2, "flows matched before the final rule: " + beforeFinal);
    }

    /** The first rule whose {@link Rule#matches} holds: the public reference semantics. */
    private static int byRuleMatches(List<Rule> rules, FlowKey flow) {
        byte[] address = flow.address().map(a -> a.getAddress()).orElse(null);
        return rules.stream().filter(r -> r.matches(flow.domain().orElse(null), address, flow.port(), flow.network()))
                .findFirst().orElseThrow().index();
    }

    /** The definition: the first rule whose destination, port and network conditions all hold. */
    private static int linear(List<Rule> rules, FlowKey flow) {
        String name = flow.domain().orElse(null);
        byte[] address = flow.address().map(a -> a.getAddress()).orElse(null);
        for (Rule r : rules) {
            boolean anyDestination = r.domains().isEmpty() && r.domainSuffixes().isEmpty() && r.domainKeywords().isEmpty()
                    && r.domainRegexes().isEmpty() && r.ipCidrs().isEmpty() && r.ruleSets().isEmpty();
            boolean destination = anyDestination;
            if (name != null) {
                destination |= nameMatches(name, r.domains(), r.domainSuffixes(), List.of(), r.domainKeywords());
                for (Pattern p : r.domainRegexes()) {
                    destination |= p.matcher(name).find();
                }
                for (RuleSet set : r.ruleSets()) {
                    destination |= nameMatches(name, set.domains(), set.domainSuffixes(), set.wildcards(), set.domainKeywords());
                }
            }
            if (address != null) {
                for (Cidr c : r.ipCidrs()) {
                    destination |= inPrefix(address, c);
                }
                for (RuleSet set : r.ruleSets()) {
                    for (Cidr c : set.ipCidrs()) {
                        destination |= inPrefix(address, c);
                    }
                }
            }
            boolean port = r.ports().isEmpty() || r.ports().stream().anyMatch(p -> p.from() <= flow.port() && flow.port() <= p.to());
            boolean network = r.networks().isEmpty() || r.networks().contains(flow.network());
            if (destination && port && network) {
                return r.index();
            }
        }
        throw new AssertionError("no rule matched " + flow);
    }

    private static boolean nameMatches(String name, List<String> domains, List<String> suffixes, List<String> wildcards,
                                       List<String> keywords) {
        boolean any = domains.contains(name);
        for (String s : suffixes) {
            any |= s.startsWith(".") ? name.endsWith(s) : name.equals(s) || name.endsWith("." + s);
        }
        for (String w : wildcards) {
            any |= name.endsWith("." + w) && name.indexOf('.') == name.length() - w.length() - 1;
        }
        for (String k : keywords) {
            any |= name.contains(k);
        }
        return any;
    }

    /** A set of every kind of entry, a few of each, from the same pools as the rules. */
    private static RuleSet randomSet(Random random, String name) {
        List<String> domains = new ArrayList<>();
        List<String> suffixes = new ArrayList<>();
        List<String> wildcards = new ArrayList<>();
        List<String> keywords = new ArrayList<>();
        List<Cidr> cidrs = new ArrayList<>();
        for (int i = 0, n = random.nextInt(6); i < n; i++) {
            domains.add(randomName(random));
        }
        for (int i = 0, n = random.nextInt(4); i < n; i++) {
            suffixes.add((random.nextInt(4) == 0 ? "." : "") + randomName(random));
        }
        for (int i = 0, n = random.nextInt(4); i < n; i++) {
            wildcards.add(randomName(random));
        }
        if (random.nextInt(3) == 0) {
            keywords.add(KEYWORDS[random.nextInt(KEYWORDS.length)] + "zz");
        }
        for (int i = 0, n = random.nextInt(4); i < n; i++) {
            cidrs.add(randomCidr(random));
        }
        return new RuleSet(name, name + ".txt", domains, suffixes, wildcards, keywords, cidrs);
    }

    private static boolean inPrefix(byte[] address, Cidr cidr) {
        byte[] net = cidr.networkBytes();
        if (net.length != address.length) {
            return false;
        }
        int shift = net.length * 8 - cidr.prefixLength();
        return new BigInteger(1, address).shiftRight(shift).equals(new BigInteger(1, net).shiftRight(shift));
    }

    private static Rule randomRule(Random random, int index, List<RuleSet> pool) {
        List<String> domains = new ArrayList<>();
        List<String> suffixes = new ArrayList<>();
        List<String> keywords = new ArrayList<>();
        List<Pattern> regexes = new ArrayList<>();
        List<Cidr> cidrs = new ArrayList<>();
        List<RuleSet> sets = new ArrayList<>();
        List<PortRange> ports = new ArrayList<>();
        Set<Network> networks = EnumSet.noneOf(Network.class);
        // Most rules are narrow (a few names or prefixes); some add port or network conditions.
        int kind = random.nextInt(10);
        if (kind < 3) {
            for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                domains.add(randomName(random));
            }
        } else if (kind < 6) {
            for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                suffixes.add((random.nextInt(4) == 0 ? "." : "") + randomName(random));
            }
        } else if (kind < 7) {
            keywords.add(KEYWORDS[random.nextInt(KEYWORDS.length)] + (random.nextInt(3) == 0 ? "zz" : ""));
        } else if (kind < 8) {
            if (random.nextInt(3) == 0) {
                regexes.add(Pattern.compile(REGEXES[random.nextInt(REGEXES.length)], Pattern.CASE_INSENSITIVE));
            } else {
                cidrs.add(randomCidr(random));
            }
        } else if (kind < 9) {
            for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                cidrs.add(randomCidr(random));
            }
            if (random.nextBoolean()) {
                suffixes.add(randomName(random));
            }
        }
        if (random.nextInt(20) == 0) {
            sets.add(pool.get(random.nextInt(pool.size())));
        }
        if (random.nextInt(4) == 0 || kind == 9) {
            for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                int from = 1 + random.nextInt(30);
                ports.add(new PortRange(from, from + random.nextInt(random.nextBoolean() ? 1 : 8)));
            }
        }
        if (random.nextInt(4) == 0 || kind == 9) {
            networks.add(random.nextBoolean() ? Network.TCP : Network.UDP);
        }
        if (kind == 9 && ports.isEmpty() && networks.isEmpty()) {
            networks.add(Network.UDP);
        }
        return new Rule(index, domains, suffixes, keywords, regexes, cidrs, sets, ports, networks, "direct",
                new Location("random.yaml", index + 1, 3));
    }

    private static String randomName(Random random) {
        StringBuilder name = new StringBuilder(LABELS[random.nextInt(LABELS.length)]);
        for (int i = 0, n = random.nextInt(3); i < n; i++) {
            name.append('.').append(LABELS[random.nextInt(LABELS.length)]);
        }
        return name.toString();
    }

    private static byte[] randomAddress(Random random, boolean v6) {
        byte[] a = new byte[v6 ? 16 : 4];
        a[0] = 10;
        // A few varying bits near the top and the bottom, so that prefixes of all lengths nest and collide.
        a[1] = (byte) random.nextInt(4);
        a[a.length - 1] = (byte) random.nextInt(8);
        if (v6) {
            a[0] = (byte) 0xfd;
            a[7] = (byte) random.nextInt(2);
        }
        return a;
    }

    private static Cidr randomCidr(Random random) {
        boolean v6 = random.nextInt(3) == 0;
        byte[] a = randomAddress(random, v6);
        int length = random.nextInt(a.length * 8 + 1);
        for (int bit = length; bit < a.length * 8; bit++) {
            a[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return new Cidr(IpLiteral.toInetAddress(a), length);
    }

    private static FlowKey randomFlow(Random random) {
        int port = 1 + random.nextInt(40);
        Network network = random.nextBoolean() ? Network.TCP : Network.UDP;
        Optional<String> name = Optional.of(randomName(random)).filter(n -> random.nextInt(4) != 0);
        Optional<InetAddress> address = Optional.empty();
        if (name.isEmpty() || random.nextInt(5) == 0) {
            address = Optional.of(IpLiteral.toInetAddress(randomAddress(random, random.nextInt(3) == 0)));
        }
        if (name.isEmpty() && random.nextInt(10) == 0) {
            return FlowKey.ofAddress(randomAddress(random, random.nextBoolean()), port, network);
        }
        if (name.isPresent() && random.nextInt(10) == 0) {
            name = Optional.of(name.get().toUpperCase(Locale.ROOT) + ".");
        }
        return new FlowKey(name, address, port, network);
    }
}
