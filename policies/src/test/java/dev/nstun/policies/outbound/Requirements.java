package dev.nstun.policies.outbound;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a test needs from the machine (the few lines of cli's it.Requirements this package uses).
 * Missing → the test is skipped with the reason; under {@code CI=true} a skip would hide a broken
 * set-up, so it fails instead.
 */
public final class Requirements {
    private Requirements() {
    }

    /** True when running under CI, where nothing may be skipped. */
    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Skips (or, in CI, fails) with {@code reason} unless {@code condition} holds. */
    public static void require(boolean condition, String reason) {
        if (condition) {
            return;
        }
        if (inCi()) {
            fail("CI=true and this test cannot run: " + reason);
        }
        assumeTrue(false, reason);
    }

    /** Requires {@code command} on PATH or in the sbin directories (installed by scripts/provision). */
    public static void requireCommand(String command) {
        require(find(command) != null, command + " is not installed (run sudo scripts/provision)");
    }

    /** Returns the executable {@code command} from PATH or the sbin directories, or null. */
    public static Path find(String command) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return Path.of(dir, command);
            }
        }
        return null;
    }

    /** Returns whether the tests run as root. */
    public static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }
}
