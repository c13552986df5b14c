package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What an integration test needs from the machine. Missing → the test is skipped with the reason;
 * under {@code CI=true} a skip would hide a broken set-up, so it fails instead.
 */
public final class Requirements {
    private Requirements() {}

    /** True when running under CI, where nothing may be skipped. */
    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Skips (or, in CI, fails) with {@code reason} unless {@code condition} holds. */
    public static void require(boolean condition, String reason) {
        if (condition) return;
        if (inCi()) fail("CI=true and this test cannot run: " + reason);
        assumeTrue(false, reason);
    }

    /** Requires root, as the namespace and TUN tests need CAP_SYS_ADMIN and CAP_NET_ADMIN. */
    public static void requireRoot() {
        require("root".equals(System.getProperty("user.name")) && Files.isReadable(Path.of("/dev/net/tun")),
                "needs root and /dev/net/tun (run the suite with sudo, as .ci/run does)");
    }

    /** Requires {@code command} on PATH (installed by scripts/provision). */
    public static void requireCommand(String command) {
        require(onPath(command), command + " is not installed (run sudo scripts/provision)");
    }

    /** Returns whether {@code command} is an executable on PATH or in the sbin directories. */
    public static boolean onPath(String command) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) return true;
        }
        return false;
    }

    /** The repository's top folder (set by the build; the working folder's parent otherwise). */
    public static Path repoRoot() {
        String p = System.getProperty("nstun.root");
        if (p != null) return Path.of(p);
        return Path.of("").toAbsolutePath().getParent();
    }

    /** Runs a command to completion, returning its combined output; fails the test on timeout. */
    public static ProcessResult run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("timed out: " + String.join(" ", command));
        }
        return new ProcessResult(p.exitValue(), new String(out, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Exit status and combined output of a finished command. */
    public record ProcessResult(int exitCode, String output) {}
}
