package dev.nstun.cli;

import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Environment;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PolicyException;
import dev.nstun.policies.config.Problem;
import dev.nstun.policies.rules.Explain;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code nstun explain FILE HOST[:PORT]}: which rule and outbound a destination gets. */
@Command(name = "explain", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Prints which rule of a policy file a destination matches and the outbound it goes to.",
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {"0:the rule and outbound were printed", ExitCodes.FAILED_ENTRY},
        footer = {"", "Examples:", "  nstun explain work.yaml example.com:443", "  nstun explain work.yaml --udp 10.1.2.3:53"})
public final class ExplainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin LoggingOptions logging;

    @Parameters(index = "0", paramLabel = "FILE", description = "The policy file (YAML).")
    Path file;

    @Parameters(index = "1", paramLabel = "HOST[:PORT]", description = "A name or address, with an optional port ([v6]:port for IPv6).")
    String destination;

    @Option(names = "--udp", description = "Explain a UDP flow (default: TCP).")
    boolean udp;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Policy policy;
        try {
            policy = UserFiles.ofInvoker().loadPolicy(file, Environment.system());
        } catch (PolicyException e) {
            for (Problem p : e.problems()) err.println(p);
            return ExitCodes.NSTUN_FAILED;
        }
        spec.commandLine().getOut().println(Explain.explain(policy, destination, udp ? Network.UDP : Network.TCP));
        return 0;
    }
}
