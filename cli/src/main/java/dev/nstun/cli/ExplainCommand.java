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
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code nstun explain FILE HOST[:PORT]}: which rule and outbound a destination gets. */
public final class ExplainCommand implements Callable<Integer> {
    private final PositionalParamSpec file = PositionalParamSpec.builder().required(true).index("0").paramLabel("FILE").type(Path.class)
            .description("The policy file (YAML).").build();
    private final PositionalParamSpec destination = PositionalParamSpec.builder().required(true).index("1").paramLabel("HOST[:PORT]")
            .type(String.class).description("A name or address, with an optional port ([v6]:port for IPv6).").build();
    private final OptionSpec udp = CommandModel.flag("Explain a UDP flow (default: TCP).", "--udp");
    final CommandSpec spec = CommandModel.spec(this, "explain");

    ExplainCommand() {
        spec.addOption(udp).addPositional(file).addPositional(destination);
        CommandModel.usage(spec, "0:the rule and outbound were printed", ExitCodes.FAILED_ENTRY)
                .description("Prints which rule of a policy file a destination matches and the outbound it goes to.")
                .footer("", "Examples:", "  nstun explain work.yaml example.com:443", "  nstun explain work.yaml --udp 10.1.2.3:53");
    }

    private boolean udp() {
        return udp.getValue();
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Policy policy;
        try {
            policy = UserFiles.ofInvoker().loadPolicy(file.getValue(), Environment.system());
        } catch (PolicyException e) {
            for (Problem p : e.problems()) err.println(p);
            return ExitCodes.NSTUN_FAILED;
        }
        spec.commandLine().getOut().println(Explain.explain(policy, destination.getValue(), udp() ? Network.UDP : Network.TCP));
        return 0;
    }
}
