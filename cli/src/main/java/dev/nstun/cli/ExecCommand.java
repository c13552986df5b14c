package dev.nstun.cli;

import dev.nstun.netns.Credentials;
import dev.nstun.netns.InstanceName;
import dev.nstun.netns.RunRegistry;
import dev.nstun.netns.Sandbox;
import dev.nstun.netns.SandboxException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code nstun exec NAME -- COMMAND}: COMMAND in the namespace {@code nstun up NAME} serves, started
 * as {@code run} starts its own ({@link Sandbox#join}: the same privilege drop, resolver files,
 * signals and exit status), carrying that instance's mark, so that what it leaves behind goes with
 * the instance ({@code nstun down}, or the clean-up after a killed {@code up}).
 */
public final class ExecCommand implements Callable<Integer> {
    final CommandOptions who = new CommandOptions();
    private final PositionalParamSpec name = PositionalParamSpec.builder().required(true).index("0").paramLabel("NAME").type(InstanceName.class)
            .converters(new InstanceNameConverter()).description("The namespace (nstun ls lists them).").build();
    private final PositionalParamSpec command = PositionalParamSpec.builder().required(true).index("1..*").arity("1..*").paramLabel("COMMAND")
            .type(List.class).auxiliaryTypes(String.class).description("The command to run, and its arguments.").build();
    final CommandSpec spec = CommandModel.spec(this, "exec");

    ExecCommand() {
        who.addTo(spec);
        spec.addPositional(name).addPositional(command);
        CommandModel.usage(spec, "N:COMMAND's own status (128+N when signal N killed it)",
                        ExitCodes.FAILED_ENTRY + "; also when no namespace NAME is up", "126:COMMAND cannot be executed",
                        "127:COMMAND was not found")
                .description("Runs COMMAND in the namespace `nstun up NAME` serves, as `nstun run` runs its own.",
                        "The same user, privileges, resolver files, signals and exit status as `nstun run`. Processes COMMAND leaves"
                                + " behind run on in the namespace until `nstun down NAME`.")
                .footer("", "Examples:", "  nstun exec work -- curl https://example.com", "  sudo nstun exec vpn -- bash");
    }

    /** Returns COMMAND: everything after NAME is the command's (stop at positional); a "--" after NAME only marks where it begins. */
    List<String> argv() {
        List<String> command = this.command.getValue();
        return command.get(0).equals("--") ? command.subList(1, command.size()) : command;
    }

    /** Returns NAME. */
    InstanceName name() {
        return name.getValue();
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        List<String> argv = argv();
        if (argv.isEmpty()) {
            err.println("nstun exec: Missing required parameter: 'COMMAND'");
            err.println("try 'nstun exec --help'");
            return ExitCodes.NSTUN_FAILED;
        }
        Optional<RunRegistry.Instance> instance;
        try {
            instance = RunRegistry.ofThisUser(System.getenv()).instance(name());
        } catch (IOException e) {
            err.println("nstun: " + e.getMessage());
            return ExitCodes.NSTUN_FAILED;
        }
        if (instance.isEmpty()) {
            err.println("nstun: no namespace named " + name() + " is up (nstun ls lists this user's; root's are root's only: try sudo)");
            return ExitCodes.NSTUN_FAILED;
        }
        List<String> said = new ArrayList<>();
        Credentials user = RunPlan.credentials(who.user(), said);
        if (user == null) {
            said.forEach(err::println);
            return ExitCodes.NSTUN_FAILED;
        }
        Map<String, String> environment = new HashMap<>(RunPlan.environment(user));
        Integer notRunnable = RunPlan.checkRunnable(argv.get(0), environment.get("PATH"), said);
        if (notRunnable != null) {
            said.forEach(err::println);
            return notRunnable;
        }
        environment.put(RunRegistry.MARK, instance.get().runId());
        Sandbox sandbox = Sandbox.join(instance.get().entry(),
                new Sandbox.Spec(null, NstunAddresses.resolvConf(), user, who.rootInside(), argv, environment, null));
        SignalForwarder signals = SignalForwarder.install(null);
        try (sandbox) {
            if (signals.firstHeld() != 0) return 128 + signals.firstHeld();
            sandbox.launch();
            signals.attach(sandbox::signal);
            return sandbox.waitFor();
        } catch (SandboxException e) {
            err.println("nstun: " + e.getMessage());
            return ExitCodes.NSTUN_FAILED;
        } finally {
            signals.uninstall();
        }
    }
}
