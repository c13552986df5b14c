package dev.nstun.cli;

import dev.nstun.netns.InstanceName;
import dev.nstun.netns.NativeException;
import dev.nstun.netns.NotifySocket;
import dev.nstun.netns.RunRegistry;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code nstun up NAME [options]}: a long-lived namespace, served as {@code run} serves its command's,
 * that commands join by name ({@code nstun exec}, {@code ip netns exec}, systemd units) until
 * {@code nstun down NAME}, SIGINT or SIGTERM. {@code --background} starts the same command detached
 * and waits for it to say it is ready, over the very notice systemd reads (NOTIFY_SOCKET).
 */
public final class UpCommand implements Callable<Integer> {
    /** How long --background waits for the namespace to be ready. */
    private static final long READY_SECONDS = 60;
    private static final String BACKGROUND = "--background";
    private final RunOptions options = new RunOptions();
    private final PositionalParamSpec name = PositionalParamSpec.builder().required(true).index("0").paramLabel("NAME").type(InstanceName.class)
            .converters(new InstanceNameConverter()).description("The namespace's name: 1 to 32 letters, digits, '-' or '_'.").build();
    private final OptionSpec background = CommandModel.flag("Detach: return once the namespace is usable (0), or say why it is not (125)."
            + " Its log is kept beside nstun's record of it (/run/nstun/NAME.log as root) until nstun down NAME.", BACKGROUND);
    final CommandSpec spec = CommandModel.spec(this, "up");

    UpCommand() {
        options.addTo(spec);
        spec.addOption(background).addPositional(name);
        CommandModel.usage(spec, "0:stopped by nstun down, SIGINT or SIGTERM; with --background: the namespace is up",
                        ExitCodes.FAILED_ENTRY + "; also when NAME is up already")
                .description("Makes a network namespace named NAME, served as `nstun run` serves its command's, until `nstun down NAME`.",
                        "SIGINT or SIGTERM stop it too. Commands join it with `nstun exec NAME -- COMMAND`; as root also with `ip netns exec"
                                + " NAME COMMAND` (nstun's resolv.conf and nsswitch.conf are in /etc/netns/NAME) and systemd's"
                                + " NetworkNamespacePath=/run/netns/NAME.",
                        "Under systemd (NOTIFY_SOCKET set) it says READY=1 once the namespace is usable and STOPPING=1 on the way down:"
                                + " see the unit nstun@.service.")
                .footer("", "Examples:", "  nstun up --background work -p work.yaml && nstun exec work -- curl https://example.com",
                        "  sudo nstun up vpn --socks5 127.0.0.1:1080       # then: sudo ip netns exec vpn curl https://example.com",
                        "  sudo systemctl start nstun@vpn                   # the policy in /etc/nstun/vpn.yaml");
    }

    private InstanceName name() {
        return name.getValue();
    }

    private boolean background() {
        return background.getValue();
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (background()) return detach(err);
        return switch (RunPlan.forUp(options, name())) {
            case RunPlan.Refused refused -> {
                refused.lines().forEach(err::println);
                yield refused.status();
            }
            case RunPlan.Ready ready -> RunCommand.run(ready.plan(), err);
        };
    }

    /**
     * Starts this very command without --background, in a session of its own with its output in a
     * log, and waits until it says READY=1 (then its log so far is printed) or exits (then its log
     * says why, and its status is this one's).
     */
    private int detach(PrintWriter err) throws IOException, InterruptedException {
        String launcher = System.getProperty("nstun.launcher");
        if (launcher == null) {
            err.println("nstun: --background starts nstun again through its launcher, and this one was started without (java -jar)");
            return ExitCodes.NSTUN_FAILED;
        }
        RunRegistry registry = RunRegistry.ofThisUser(System.getenv());
        Optional<RunRegistry.Instance> running = registry.instance(name());
        if (running.isPresent()) {
            err.println("nstun: a namespace named " + name() + " is up already (nstun pid " + running.get().pid() + "): stop it with nstun down "
                    + name());
            return ExitCodes.NSTUN_FAILED;
        }
        Path log = registry.logFile(name());
        // Abstract: nothing on disk to leave behind if this nstun is killed while it waits.
        String notices = "@nstun-up-" + name() + "-" + ProcessHandle.current().pid() + "-" + Long.toHexString(System.nanoTime());
        List<String> argv = new ArrayList<>(List.of("setsid", launcher));
        spec.root().commandLine().getParseResult().originalArgs().stream().filter(a -> !a.equals(BACKGROUND)).forEach(argv::add);
        try (NotifySocket socket = NotifySocket.bind(notices)) {
            ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(new File("/dev/null")).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            pb.environment().put(NotifySocket.VARIABLE, notices);
            Process up = pb.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_SECONDS);
            boolean ready = false;
            while (System.nanoTime() < deadline) {
                // Ready, and published under the name: any process of this network namespace may send to the socket.
                if (socket.receive(100).filter(n -> n.lines().anyMatch("READY=1"::equals)).isPresent() || ready) {
                    ready = true;
                    Optional<RunRegistry.Instance> instance = registry.instance(name());
                    if (instance.isPresent()) {
                        err.print(Files.readString(log, StandardCharsets.UTF_8));
                        err.println("nstun: " + name() + " runs in the background (pid " + instance.get().pid() + "); its log: " + log);
                        return 0;
                    }
                }
                if (!up.isAlive()) {
                    err.print(Files.readString(log, StandardCharsets.UTF_8));
                    Files.deleteIfExists(log);
                    return up.exitValue() == 0 ? ExitCodes.NSTUN_FAILED : up.exitValue();
                }
            }
            up.destroyForcibly();
            err.print(Files.readString(log, StandardCharsets.UTF_8));
            err.println("nstun: " + name() + " was not ready within " + READY_SECONDS + " s: stopped it");
            return ExitCodes.NSTUN_FAILED;
        } catch (NativeException e) {
            err.println("nstun: " + e.getMessage());
            return ExitCodes.NSTUN_FAILED;
        }
    }
}
