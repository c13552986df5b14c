package dev.nstun.policies.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** "Did you mean …?": the closest known word to a misspelled one. */
final class Suggest {
    private Suggest() {
    }

    /**
     * Returns the candidate {@code given} most likely stands for: the same word up to case or
     * {@code _} for {@code -}, else the nearest by edit distance (with transpositions) when it is
     * near enough to be a typo.
     */
    static Optional<String> closest(String given, Collection<String> candidates) {
        String folded = given.toLowerCase(Locale.ROOT).replace('_', '-');
        for (String c : candidates) {
            if (c.toLowerCase(Locale.ROOT).replace('_', '-').equals(folded)) {
                return Optional.of(c);
            }
        }
        int allowed = Math.max(1, Math.min(2, folded.length() / 3));
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(folded, c.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        return bestDistance <= allowed ? Optional.of(best) : Optional.empty();
    }

    /** Returns "; did you mean 'x'?" or "". */
    static String didYouMean(String given, Collection<String> candidates) {
        return closest(given, candidates).map(c -> "; did you mean '" + c + "'?").orElse("");
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
