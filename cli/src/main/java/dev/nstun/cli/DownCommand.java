package dev.nstun.cli;

import dev.nstun.netns.InstanceName;
import dev.nstun.netns.LibC;
import dev.nstun.netns.RunRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code nstun down NAME}: asks the nstun serving NAME to stop (SIGTERM, as systemd does) and waits
 * until it has removed everything; one that does not within {@link #STOP_SECONDS} is killed, and
 * what it left is cleaned up here.
 */
public final class DownCommand implements Callable<Integer> {
    private static final int SIGTERM = 15;
    private static final int SIGKILL = 9;
    private static final long STOP_SECONDS = 10;
    private final PositionalParamSpec name = PositionalParamSpec.builder().required(true).index("0").paramLabel("NAME").type(InstanceName.class)
            .converters(new InstanceNameConverter()).description("The namespace (nstun ls lists them).").build();
    final CommandSpec spec = CommandModel.spec(this, "down");

    DownCommand() {
        spec.addPositional(name);
        CommandModel.usage(spec, "0:NAME is down", ExitCodes.FAILED_ENTRY + "; also when no namespace NAME is up")
                .description("Stops the namespace `nstun up NAME` serves.",
                        "Every process in it ends, and its names (/run/netns/NAME, /etc/netns/NAME) and records go.")
                .footer("", "Examples:", "  nstun down work", "  sudo nstun down vpn");
    }

    private InstanceName name() {
        return name.getValue();
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        RunRegistry registry;
        try {
            registry = RunRegistry.ofThisUser(System.getenv());
        } catch (IOException e) {
            err.println("nstun: " + e.getMessage());
            return ExitCodes.NSTUN_FAILED;
        }
        registry.cleanStale();
        Optional<RunRegistry.Instance> instance = registry.instance(name());
        if (instance.isEmpty()) {
            err.println("nstun: no namespace named " + name() + " is up (nstun ls lists this user's; root's are root's only: try sudo)");
            return ExitCodes.NSTUN_FAILED;
        }
        int pid = (int) instance.get().pid();
        LibC.INSTANCE.kill(pid, SIGTERM);
        if (!stopped(instance.get(), STOP_SECONDS)) {
            err.println("nstun: nstun " + pid + " did not stop within " + STOP_SECONDS + " s of SIGTERM: killed it");
            LibC.INSTANCE.kill(pid, SIGKILL);
            stopped(instance.get(), STOP_SECONDS);
        }
        // What a killed nstun left goes here; one that stopped has removed everything itself.
        registry.cleanStale();
        return 0;
    }

    /** Waits at most {@code seconds} for the nstun of {@code instance} to end; returns whether it did. */
    private static boolean stopped(RunRegistry.Instance instance, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (RunRegistry.isAlive(instance)) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(20);
        }
        return true;
    }
}
