package dev.nstun.policies.config;

import java.util.List;

/**
 * A named list of destinations loaded from a file of its own ({@code rule-sets:} in the policy),
 * which rules name with {@code rule-set:}. Its entries are the values of a rule's destination
 * keys, in the same normal form; a rule that names a set matches what any of its entries
 * matches. The methods {@code matching…} are the definition, one entry after another; the
 * {@code RuleMatcher} indexes the entries with the rules' own.
 *
 * @param name           what rules call it
 * @param file           the file as problems and explanations show it
 * @param domains        names matched exactly
 * @param domainSuffixes as a rule's {@code domain-suffix}: {@code example.com} or {@code .example.com}
 * @param wildcards      {@code example.com} for clash's {@code *.example.com}: names exactly one label below
 * @param domainKeywords substrings of the name
 * @param ipCidrs        prefixes the destination address lies in
 */
public record RuleSet(String name, String file, List<String> domains, List<String> domainSuffixes, List<String> wildcards,
                      List<String> domainKeywords, List<Cidr> ipCidrs) {

    public RuleSet {
        domains = List.copyOf(domains);
        domainSuffixes = List.copyOf(domainSuffixes);
        wildcards = List.copyOf(wildcards);
        domainKeywords = List.copyOf(domainKeywords);
        ipCidrs = List.copyOf(ipCidrs);
    }

    /** Returns how many entries the set holds. */
    public int size() {
        return domains.size() + domainSuffixes.size() + wildcards.size() + domainKeywords.size() + ipCidrs.size();
    }

    /** Returns whether the set holds an entry that names can match. */
    public boolean hasNames() {
        return !domains.isEmpty() || !domainSuffixes.isEmpty() || !wildcards.isEmpty() || !domainKeywords.isEmpty();
    }

    /**
     * Returns the first entry that matches a normalized name, as {@code rule-set ads: domain-suffix
     * example.com}, or null.
     */
    public String matchingNameValue(String name) {
        for (String d : domains) {
            if (name.equals(d)) {
                return describe("domain " + d);
            }
        }
        for (String s : domainSuffixes) {
            if (Rule.suffixMatches(s, name)) {
                return describe("domain-suffix " + s);
            }
        }
        for (String w : wildcards) {
            int dot = name.indexOf('.');
            if (dot > 0 && name.substring(dot + 1).equals(w)) {
                return describe("*." + w);
            }
        }
        for (String k : domainKeywords) {
            if (name.contains(k)) {
                return describe("domain-keyword " + k);
            }
        }
        return null;
    }

    /** Returns the first prefix that contains the address (4 or 16 bytes), as {@code rule-set ads: ip-cidr 10.0.0.0/8}, or null. */
    public String matchingAddressValue(byte[] address) {
        for (Cidr c : ipCidrs) {
            if (c.contains(address)) {
                return describe("ip-cidr " + c);
            }
        }
        return null;
    }

    private String describe(String entry) {
        return "rule-set " + name + " (" + file + "): " + entry;
    }
}
