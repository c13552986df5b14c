package dev.nstun.policies.rules;

import java.util.HashMap;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Rules by exact domain, by domain suffix and by one-label wildcard, looked up with one hash probe
 * per label of the flow's name ({@code a.b.example.com} probes {@code a.b.example.com},
 * {@code b.example.com}, {@code example.com}, {@code com}), however many names the rules hold.
 */
final class DomainIndex {
    private final Map<String, int[]> exact;
    /** {@code example.com}: the name itself and its subdomains. */
    private final Map<String, int[]> selfAndSubdomains;
    /** {@code .example.com}: subdomains only (stored without the dot). */
    private final Map<String, int[]> subdomainsOnly;
    /** {@code *.example.com} of a rule set: names one label below, stored as the parent. */
    private final Map<String, int[]> oneLabelBelow;

    private DomainIndex(Map<String, int[]> exact, Map<String, int[]> selfAndSubdomains, Map<String, int[]> subdomainsOnly,
                        Map<String, int[]> oneLabelBelow) {
        this.exact = exact;
        this.selfAndSubdomains = selfAndSubdomains;
        this.subdomainsOnly = subdomainsOnly;
        this.oneLabelBelow = oneLabelBelow;
    }

    static final class Builder {
        private final Map<String, IntList> exact = new HashMap<>();
        private final Map<String, IntList> selfAndSubdomains = new HashMap<>();
        private final Map<String, IntList> subdomainsOnly = new HashMap<>();
        private final Map<String, IntList> oneLabelBelow = new HashMap<>();

        void addExact(String domain, int rule) {
            exact.computeIfAbsent(domain, k -> new IntList()).add(rule);
        }

        void addSuffix(String suffix, int rule) {
            if (suffix.startsWith(".")) {
                subdomainsOnly.computeIfAbsent(suffix.substring(1), k -> new IntList()).add(rule);
            } else {
                selfAndSubdomains.computeIfAbsent(suffix, k -> new IntList()).add(rule);
            }
        }

        /** Adds {@code *.parent}: the names exactly one label below {@code parent}. */
        void addWildcard(String parent, int rule) {
            oneLabelBelow.computeIfAbsent(parent, k -> new IntList()).add(rule);
        }

        DomainIndex build() {
            return new DomainIndex(IntList.freeze(exact), IntList.freeze(selfAndSubdomains), IntList.freeze(subdomainsOnly),
                    IntList.freeze(oneLabelBelow));
        }
    }

    /** Returns the smallest rule below {@code best} that matches the name by domain or suffix and passes {@code rest}. */
    int first(String name, int best, IntPredicate rest) {
        best = IntList.first(exact.get(name), best, rest);
        best = IntList.first(selfAndSubdomains.get(name), best, rest);
        int first = name.indexOf('.');
        for (int dot = first; dot >= 0; dot = name.indexOf('.', dot + 1)) {
            String parent = name.substring(dot + 1);
            best = IntList.first(selfAndSubdomains.get(parent), best, rest);
            best = IntList.first(subdomainsOnly.get(parent), best, rest);
            if (dot == first && first > 0 && !oneLabelBelow.isEmpty()) {
                best = IntList.first(oneLabelBelow.get(parent), best, rest);
            }
        }
        return best;
    }
}
