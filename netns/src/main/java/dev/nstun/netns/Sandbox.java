package dev.nstun.netns;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A wrapped command in a network namespace of its own whose only way out is a TUN device.
 *
 * <p>One platform thread, the keeper, does the namespace work and then lives as long as the
 * command: it unshares a new network namespace, creates and configures the TUN there (so the device
 * never appears in the init namespace and two runs never collide on a name), starts the command
 * (a child inherits its creating thread's namespace), and moves itself back to the init namespace.
 * From then on the command's processes are the only holders of the namespace besides the TUN fd;
 * when the command exits nstun closes the fd and the kernel frees everything. The keeper must
 * outlive the command because PR_SET_PDEATHSIG fires when the parent thread, not the process, ends.
 */
public final class Sandbox implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Sandbox.class);

    /** What to run and how. {@code environment} is the command's whole environment. */
    public record Spec(TunSpec tun, String resolvConf, Credentials user, List<String> command,
                       Map<String, String> environment, Path workingDirectory) {}

    private final TunDevice tun;
    private final Process process;
    private final String namespaceId;
    private final CompletableFuture<Integer> exit;

    private Sandbox(TunDevice tun, Process process, String namespaceId, CompletableFuture<Integer> exit) {
        this.tun = tun;
        this.process = process;
        this.namespaceId = namespaceId;
        this.exit = exit;
    }

    /** Creates the namespace and TUN and starts the command; returns once it runs. */
    public static Sandbox start(Spec spec) throws SandboxException {
        CompletableFuture<Sandbox> started = new CompletableFuture<>();
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread keeper = Thread.ofPlatform().name("nstun-keeper").daemon(false).unstarted(() -> keep(spec, started, exit));
        keeper.start();
        try {
            return started.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SandboxException se) throw se;
            throw new SandboxException(SandboxException.Kind.FAILED, "cannot start the sandbox: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException(SandboxException.Kind.FAILED, "interrupted while starting", e);
        }
    }

    private static void keep(Spec spec, CompletableFuture<Sandbox> started, CompletableFuture<Integer> exit) {
        Process process;
        Sandbox sandbox;
        int home;
        try {
            home = NetworkNamespace.openCurrent();
        } catch (NativeException e) {
            started.completeExceptionally(SandboxException.of("open the init network namespace", e));
            return;
        }
        TunDevice tun = null;
        try {
            try {
                NetworkNamespace.unshareNew();
                String id = NetworkNamespace.currentId();
                tun = TunDevice.create(spec.tun().name());
                configure(tun, spec.tun());
                process = launch(spec);
                sandbox = new Sandbox(tun, process, id, exit);
            } finally {
                NetworkNamespace.enter(home);
                LibC.INSTANCE.close(home);
            }
        } catch (Exception e) {
            if (tun != null) tun.close();
            started.completeExceptionally(e instanceof SandboxException se ? se
                    : e instanceof NativeException ne ? SandboxException.of("set up the namespace", ne)
                    : new SandboxException(SandboxException.Kind.FAILED, e.getMessage(), e));
            return;
        } catch (Throwable t) {
            // Back in the init namespace cannot be guaranteed: this thread must not run anything else.
            started.completeExceptionally(t);
            throw t;
        }
        started.complete(sandbox);
        while (true) {
            try {
                exit.complete(process.waitFor());
                return;
            } catch (InterruptedException e) {
                // Keep waiting: leaving now would fire the command's death signal.
            }
        }
    }

    private static void configure(TunDevice tun, TunSpec t) throws NativeException {
        try (RouteNetlink nl = RouteNetlink.open()) {
            int lo = LibC.INSTANCE.if_nametoindex("lo");
            nl.linkUp(lo, 0);
            nl.linkUp(tun.index(), t.mtu(), TunSpec.TX_QUEUE_LENGTH);
            nl.addAddress(tun.index(), t.ipv4(), t.ipv4Prefix());
            nl.addAddress(tun.index(), t.ipv6(), t.ipv6Prefix());
            nl.addDefaultRoute(tun.index(), true);
            nl.addDefaultRoute(tun.index(), false);
        }
    }

    private static Process launch(Spec spec) throws SandboxException {
        ProcessBuilder pb = new ProcessBuilder(ChildCommand.argv(spec.resolvConf(), spec.user(), spec.command()));
        pb.environment().clear();
        pb.environment().putAll(spec.environment());
        pb.directory(spec.workingDirectory() == null ? null : spec.workingDirectory().toFile());
        pb.inheritIO();
        try {
            Process p = pb.start();
            log.debug("command started as pid {}", p.pid());
            return p;
        } catch (IOException e) {
            throw new SandboxException(SandboxException.Kind.FAILED,
                    "cannot start util-linux's setpriv/unshare (apt-get install util-linux): " + e.getMessage(), e);
        }
    }

    /** Returns the TUN device: read and write it from any thread. */
    public TunDevice tun() {
        return tun;
    }

    /** Returns the pid of the command's first process. */
    public long pid() {
        return process.pid();
    }

    /** Returns the kernel's name of the command's network namespace. */
    public String namespaceId() {
        return namespaceId;
    }

    /** Sends {@code signal} to the command. */
    public void signal(int signal) {
        if (process.isAlive()) LibC.INSTANCE.kill((int) process.pid(), signal);
    }

    /** Waits for the command; returns its exit status (128+N when killed by signal N). */
    public int waitFor() throws InterruptedException {
        try {
            return exit.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Returns the future completed with the command's exit status. */
    public CompletableFuture<Integer> onExit() {
        return exit;
    }

    /**
     * Ends what is left: kills the command if it still runs and every process it left behind in
     * its namespace (they would keep the namespace alive), then closes the TUN.
     */
    @Override
    public void close() {
        if (process.isAlive()) LibC.INSTANCE.kill((int) process.pid(), 9);
        for (long pid : processesIn(namespaceId)) {
            log.debug("killing pid {} left behind in the namespace", pid);
            LibC.INSTANCE.kill((int) pid, 9);
        }
        tun.close();
    }

    /** Lists processes whose network namespace is {@code id}. */
    static long[] processesIn(String id) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.map(p -> p.getFileName().toString())
                    .filter(n -> !n.isEmpty() && n.chars().allMatch(Character::isDigit))
                    .mapToLong(Long::parseLong)
                    .filter(pid -> id.equals(NetworkNamespace.idOf(pid)))
                    .toArray();
        } catch (IOException e) {
            return new long[0];
        }
    }

    /** Returns the PATH entry that holds {@code command}, or null; for commands without a slash. */
    public static Path findOnPath(String command, String path) {
        if (path == null) return null;
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, command);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }
}
