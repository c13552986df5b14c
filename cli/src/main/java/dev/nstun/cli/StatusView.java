package dev.nstun.cli;

import dev.nstun.policies.outbound.UntrustedText;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * A {@link StatusDocument} as people read it: a line about the run, a table of its live flows and
 * the counters, for {@code nstun status} and each frame of {@code nstun top}. The document is read
 * with snakeyaml-engine, which policies already ship: JSON is YAML 1.2. Every text in it is someone
 * else's (a name the command asked for, its arguments; for root, a document another user's process
 * wrote): it reaches the terminal only {@linkplain UntrustedText#printable escaped}.
 */
final class StatusView {
    /** How the flows are ordered: most bytes (both ways) first, or oldest first. */
    enum Sort { BYTES, AGE }

    private static final String[] HEADINGS = {"PROTO", "SOURCE", "DESTINATION", "RULE", "OUTBOUND", "UP", "DOWN", "AGE", "STATE"};

    private StatusView() {}

    /** Returns the document {@code json} as maps and lists; throws {@link IllegalArgumentException} when it is not one, or is an error. */
    static Map<String, Object> parse(String json) {
        Object doc;
        try {
            doc = new Load(LoadSettings.builder().setAllowDuplicateKeys(false).build()).loadFromString(json);
        } catch (YamlEngineException e) {
            throw new IllegalArgumentException("the run's answer is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (!(doc instanceof Map<?, ?> map)) throw new IllegalArgumentException("the run's answer is not a JSON object");
        if (map.get("error") instanceof String error) throw new IllegalArgumentException("the run says: " + text(error));
        return map(map);
    }

    /** Returns the lines that show {@code doc}, at most {@code maxFlows} flows of them ordered by {@code sort}. */
    static List<String> render(Map<String, Object> doc, Sort sort, int maxFlows) {
        List<String> lines = new ArrayList<>();
        Map<String, Object> run = map(doc.get("run"));
        List<Map<String, Object>> flows = new ArrayList<>(list(doc.get("flows")));
        Comparator<Map<String, Object>> order = switch (sort) {
            case BYTES -> Comparator.comparingLong(f -> -(number(f.get("bytesUp")) + number(f.get("bytesDown"))));
            case AGE -> Comparator.comparingLong(f -> -number(f.get("ageMillis")));
        };
        flows.sort(order);
        lines.add("nstun " + number(run.get("pid")) + ": " + text(String.join(" ", strings(run.get("command"))))
                + (run.get("policy") != null ? "  (-p " + text(run.get("policy")) + ")" : "") + "  up " + duration(number(run.get("uptimeMillis")))
                + "  " + flows.size() + (flows.size() == 1 ? " live flow" : " live flows"));
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADINGS);
        for (Map<String, Object> f : flows.subList(0, Math.min(maxFlows, flows.size()))) {
            String destination = text(f.get("destination")) + (f.get("name") != null ? " (" + text(f.get("name")) + ")" : "");
            rows.add(new String[] {text(f.get("protocol")), text(f.get("source")), destination,
                text(f.get("rule")), text(f.get("outbound")), RunReport.bytes(number(f.get("bytesUp"))),
                RunReport.bytes(number(f.get("bytesDown"))), duration(number(f.get("ageMillis"))), text(f.get("state"))});
        }
        if (!flows.isEmpty()) lines.addAll(table(rows));
        if (flows.size() > maxFlows) lines.add("… and " + (flows.size() - maxFlows) + " more");
        lines.addAll(counters(map(doc.get("counters"))));
        return lines;
    }

    private static List<String> counters(Map<String, Object> counters) {
        List<String> lines = new ArrayList<>();
        List<String> routes = new ArrayList<>();
        for (Map<String, Object> r : list(counters.get("routes"))) {
            long n = number(r.get("flows"));
            routes.add(text(r.get("protocol")) + " " + text(r.get("rule")) + " → " + text(r.get("outbound")) + ": " + n + (n == 1 ? " flow" : " flows"));
        }
        lines.add("flows: " + (routes.isEmpty() ? "none yet" : String.join(", ", routes)));
        List<String> refused = new ArrayList<>();
        map(counters.get("refused")).forEach((reason, n) -> {
            if (number(n) > 0) refused.add(number(n) + " " + label(reason));
        });
        if (!refused.isEmpty()) lines.add("refused: " + String.join(", ", refused));
        List<String> drops = new ArrayList<>();
        map(counters.get("drops")).forEach((reason, n) -> drops.add(words(reason) + " " + number(n)));
        map(counters.get("echoDrops")).forEach((reason, n) -> drops.add("icmp " + words(reason) + " " + number(n)));
        if (!drops.isEmpty()) lines.add("dropped packets: " + String.join(", ", drops));
        Map<String, Object> dns = map(counters.get("dns"));
        lines.add("dns answers: " + number(dns.get("ANSWERED_HERE")) + " here, " + number(dns.get("FORWARDED")) + " forwarded, "
                + number(dns.get("SERVFAIL")) + " servfail");
        return lines;
    }

    private static String label(String refusal) {
        try {
            return RunReport.Refusal.valueOf(refusal).label();
        } catch (IllegalArgumentException e) {
            return words(refusal); // a reason a newer nstun knows
        }
    }

    /** Returns a counter's name as words: "GROUP_DESTINATION" reads "group destination". */
    private static String words(String name) {
        return text(name.toLowerCase(Locale.ROOT).replace('_', ' '));
    }

    /** Returns {@code rows} as lines of columns, each as wide as its widest cell; byte counts align right. */
    private static List<String> table(List<String[]> rows) {
        int[] width = new int[HEADINGS.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) width[i] = Math.max(width[i], row[i].length());
        }
        List<String> lines = new ArrayList<>();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                if (i > 0) line.append("  ");
                boolean right = i >= 5 && i <= 7;
                String pad = " ".repeat(width[i] - row[i].length());
                line.append(right ? pad + row[i] : i == row.length - 1 ? row[i] : row[i] + pad);
            }
            lines.add(line.toString());
        }
        return lines;
    }

    /** Returns {@code millis} as people read an age, largest units first: 850ms, 12s, 3m04s, 2h05m, 3d04h. */
    static String duration(long millis) {
        if (millis < 1000) return Math.max(0, millis) + "ms";
        long s = millis / 1000;
        if (s < 60) return s + "s";
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        if (s < 86400) return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60);
        return String.format(Locale.ROOT, "%dd%02dh", s / 86400, s / 3600 % 24);
    }

    /** What a run has carried: its live flows, and the bytes each way of every flow, ended or live. */
    record Totals(int liveFlows, long bytesUp, long bytesDown) {}

    /** Returns the totals of {@code doc} ({@link #parse}d). */
    static Totals totals(Map<String, Object> doc) {
        List<Map<String, Object>> flows = list(doc.get("flows"));
        long up = 0;
        long down = 0;
        for (Map<String, Object> f : flows) {
            up += number(f.get("bytesUp"));
            down += number(f.get("bytesDown"));
        }
        for (Map<String, Object> r : list(map(doc.get("counters")).get("routes"))) {
            up += number(r.get("bytesUp"));
            down += number(r.get("bytesDown"));
        }
        return new Totals(flows.size(), up, down);
    }

    private static String text(Object o) {
        return o == null ? "-" : UntrustedText.printable(String.valueOf(o), UntrustedText.MAX_CHARS);
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    /** Returns {@code o} as an object with text keys; anything else as an empty one. */
    private static Map<String, Object> map(Object o) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (o instanceof Map<?, ?> given) given.forEach((k, v) -> m.put(String.valueOf(k), v));
        return m;
    }

    private static List<String> strings(Object o) {
        return o instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
    }

    /** Returns the objects of the array {@code o}; anything else in it, or anything else, is left out. */
    private static List<Map<String, Object>> list(Object o) {
        return o instanceof List<?> l ? l.stream().filter(e -> e instanceof Map<?, ?>).map(StatusView::map).toList() : List.of();
    }
}
