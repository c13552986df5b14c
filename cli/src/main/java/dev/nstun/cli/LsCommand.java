package dev.nstun.cli;

import dev.nstun.netns.RunRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code nstun ls}: the namespaces {@code nstun up} serves for this user (root: root's), from the
 * registry, after removing what killed ones left. Each row is what the registry knows of an
 * instance ({@link RunRegistry.Instance}); live counts (flows, bytes) belong to the instance itself
 * and come with its control socket (issue 12, "Live view"), as further columns of {@link #row}.
 */
@Command(name = "ls", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Lists the namespaces `nstun up` serves.",
            "One line each, for this user (under sudo: root's): name, nstun's pid, uptime and what their flows follow."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {"0:listed (none is not an error)", ExitCodes.FAILED_ENTRY},
        footer = {"", "Examples:", "  nstun ls", "  sudo nstun ls"})
public final class LsCommand implements Callable<Integer> {
    private static final String FORMAT = "%-32s %8s %8s  %s";

    @Spec CommandSpec spec;
    @Mixin LoggingOptions logging;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        RunRegistry registry;
        try {
            registry = RunRegistry.ofThisUser(System.getenv());
        } catch (IOException e) {
            spec.commandLine().getErr().println("nstun: " + e.getMessage());
            return ExitCodes.NSTUN_FAILED;
        }
        registry.cleanStale();
        List<RunRegistry.Instance> instances = registry.instances();
        out.println(String.format(FORMAT, "NAME", "PID", "UPTIME", "POLICY").stripTrailing());
        Instant now = Instant.now();
        instances.forEach(i -> out.println(row(i, now)));
        return 0;
    }

    /** One instance's line under the header. */
    static String row(RunRegistry.Instance instance, Instant now) {
        return String.format(FORMAT, instance.name(), instance.pid(), uptime(Duration.between(instance.started(), now)), instance.policy());
    }

    /** Says {@code d} the way ps and systemctl do, largest units first: 45s, 12m3s, 5h2m, 3d4h. */
    static String uptime(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) return s + "s";
        if (s < 3600) return s / 60 + "m" + s % 60 + "s";
        if (s < 86400) return s / 3600 + "h" + s % 3600 / 60 + "m";
        return s / 86400 + "d" + s % 86400 / 3600 + "h";
    }
}
