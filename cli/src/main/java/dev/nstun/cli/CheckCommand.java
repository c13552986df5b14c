package dev.nstun.cli;

import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PolicyException;
import dev.nstun.policies.config.PolicyLoader;
import dev.nstun.policies.config.Problem;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code nstun check FILE}: validates a policy file, printing every problem as file:line:column. */
@Command(name = "check", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Checks a policy file and prints every problem in it, as FILE:LINE:COLUMN: message.",
            "Exits 0 when the file is valid, 1 when it has problems."})
public final class CheckCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin LoggingOptions logging;

    @Parameters(paramLabel = "FILE", description = "The policy file (YAML).")
    Path file;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            Policy policy = PolicyLoader.load(file);
            out.printf("%s: valid (%d outbound(s), %d rule(s))%n", file, policy.outbounds().size(), policy.rules().size());
            return 0;
        } catch (PolicyException e) {
            for (Problem p : e.problems()) err.println(p);
            return 1;
        }
    }
}
