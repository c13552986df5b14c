package dev.nstun.cli.it;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A shell script that runs curl requests one after another inside one {@code nstun run} (each run
 * costs seconds of start-up) and prints one line per request on stdout: its label, curl's exit
 * status, how long it took, the SHA-256 of the body and curl's own error message. curl's errors go
 * into that line, not to stderr, so nstun's stderr holds only nstun's own log lines.
 */
final class Fetches {
    private static final Pattern LINE = Pattern.compile("^fetch (\\S+) exit=(\\d+) ms=(\\d+) sha256=([0-9a-f]*) error=(.*)$", Pattern.MULTILINE);

    private Fetches() {}

    /**
     * One request: a label for the results, the URL, and whether curl asks for IPv4 addresses only.
     * Asked for both, curl races them (happy eyeballs): when the first attempt is slower than 200 ms,
     * it opens a second flow, so a test that counts flows asks for one family.
     */
    record Fetch(String label, String url, boolean ipv4Only) {
        Fetch(String label, String url) {
            this(label, url, false);
        }
    }

    /** What one request gave. */
    record Result(String label, int exit, long millis, String sha256, String error) {
        @Override
        public String toString() {
            return label + ": curl exit " + exit + " after " + millis + " ms, sha256 " + (sha256.isEmpty() ? "-" : sha256)
                    + (error.isBlank() ? "" : ", " + error.strip());
        }
    }

    /** Returns the script that runs {@code fetches} in order; it exits 0 however they end. */
    static String script(List<Fetch> fetches) {
        StringBuilder s = new StringBuilder(String.join("\n",
                "d=$(mktemp -d) || exit 1",
                "fetch() {",
                "  s=$(date +%s%N)",
                "  curl -sS -g --max-time 10 $3 -o \"$d/body\" \"$2\" 2>\"$d/err\"",
                "  rc=$?",
                "  e=$(date +%s%N)",
                "  sum=$(sha256sum \"$d/body\" 2>/dev/null | cut -c1-64)",
                "  echo \"fetch $1 exit=$rc ms=$(( (e - s) / 1000000 )) sha256=$sum error=$(tr '\\n' ' ' <\"$d/err\")\"",
                "  rm -f \"$d/body\" \"$d/err\"",
                "}", ""));
        for (Fetch f : fetches) {
            if (!f.label().matches("[A-Za-z0-9_.-]+")) throw new IllegalArgumentException("label: " + f.label());
            s.append("fetch ").append(f.label()).append(" '").append(f.url().replace("'", "'\\''")).append("'")
                    .append(f.ipv4Only() ? " -4\n" : "\n");
        }
        return s.append("rm -rf \"$d\"\n").toString();
    }

    /** Returns the results the script printed, by label. */
    static Map<String, Result> parse(String stdout) {
        Map<String, Result> results = new LinkedHashMap<>();
        Matcher m = LINE.matcher(stdout);
        while (m.find()) {
            results.put(m.group(1), new Result(m.group(1), Integer.parseInt(m.group(2)), Long.parseLong(m.group(3)), m.group(4), m.group(5)));
        }
        return results;
    }
}
