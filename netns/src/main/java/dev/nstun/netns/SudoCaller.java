package dev.nstun.netns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The environment of the user who ran sudo, which sudo's {@code env_reset} keeps from nstun's own:
 * sudo itself was started with all of it, and {@code /proc/PID/environ} still shows what a process
 * was started with. nstun's nearest ancestor whose environment has no {@code SUDO_UID} is that sudo
 * (or its monitor process, a fork of it): a root shell of {@code sudo -i} in between has one, and
 * is passed.
 *
 * <p>What it says is what that user could have given with {@code sudo --preserve-env} anyway: it is
 * for the command that runs as that user, never for nstun's own decisions.
 */
public final class SudoCaller {
    private static final String SUDO_UID = "SUDO_UID";
    /** Further than any chain of sudo, its monitor, shells and env: a bound on the walk, not a limit users meet. */
    private static final int MAX_ANCESTORS = 16;

    private SudoCaller() {}

    /** Returns those of {@code names} that the environment sudo was started with holds; empty when not under sudo. */
    public static Map<String, String> environment(Set<String> names) {
        return environment(Path.of("/proc"), ProcessHandle.current().pid(), names);
    }

    /** {@link #environment(Set)} with {@code proc} for /proc and the walk starting at the parent of {@code pid}. */
    static Map<String, String> environment(Path proc, long pid, Set<String> names) {
        long at = pid;
        for (int i = 0; i < MAX_ANCESTORS; i++) {
            Optional<Long> parent = parentOf(proc, at);
            if (parent.isEmpty() || parent.get() <= 0) return Map.of();
            at = parent.get();
            Optional<Map<String, String>> environment = startedWith(proc, at);
            if (environment.isEmpty()) return Map.of();
            if (!environment.get().containsKey(SUDO_UID)) {
                Map<String, String> found = new HashMap<>(environment.get());
                found.keySet().retainAll(names);
                return Map.copyOf(found);
            }
        }
        return Map.of();
    }

    /** Returns the parent's pid from /proc/PID/stat (the field after the state; the command name before it may hold anything). */
    private static Optional<Long> parentOf(Path proc, long pid) {
        try {
            String stat = Files.readString(proc.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.ISO_8859_1);
            String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(Long.parseLong(after[1]));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Returns the environment {@code pid} was started with (NAME=VALUE entries, each ended by a NUL). */
    private static Optional<Map<String, String>> startedWith(Path proc, long pid) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(proc.resolve(Long.toString(pid)).resolve("environ"));
        } catch (IOException e) {
            return Optional.empty();
        }
        Map<String, String> environment = new HashMap<>();
        for (String entry : new String(bytes, StandardCharsets.UTF_8).split("\0")) {
            int eq = entry.indexOf('=');
            if (eq > 0) environment.putIfAbsent(entry.substring(0, eq), entry.substring(eq + 1));
        }
        return Optional.of(environment);
    }
}
