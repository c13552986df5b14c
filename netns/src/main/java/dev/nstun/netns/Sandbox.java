package dev.nstun.netns;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A wrapped command in a network namespace of its own whose only way out is a TUN device.
 *
 * <p>A short-lived platform thread, the builder, makes the namespace: it unshares a new network
 * namespace, creates and configures the TUN there (so the device never appears in the host's
 * namespace and two runs never collide on a name), keeps an fd on the namespace, and ends. It never
 * comes back: rootless, nothing may enter the host's namespace again, and a thread left in the
 * command's namespace could hand it to threads it starts, whose sockets would then loop into the
 * TUN. That is {@link #create}. Then {@link #launch} (or {@link #startLaunch}, while what serves
 * the TUN starts): another platform thread, the keeper, enters the namespace through that fd, makes
 * the command's mount namespace ({@link CommandMounts}), starts the command (one setpriv), and
 * lives as long as the command, because PR_SET_PDEATHSIG fires when the parent thread, not the
 * process, ends; it does nothing else, so no socket of nstun's is ever made in the namespace. The
 * command's first packets wait in the TUN's queue until the stack reads them. From then on the command's
 * processes are the only holders of the namespace besides the keeper, the TUN fd and nstun's fd on
 * it; when the command exits the keeper leaves the TUN to the namespace ({@link TunDevice#leaveToNamespace})
 * and kills what the command left there, nstun closes both fds, and the kernel frees everything, the
 * device with the namespace, after nstun's exit.
 *
 * <p>{@link #join} is the keeper's half alone, for a command in a namespace another nstun made and
 * serves ({@code nstun exec} into {@code nstun up}'s), entered through an {@link Entry}.
 */
public final class Sandbox implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Sandbox.class);
    /** How long {@link #close} waits for the keeper to kill what the command left behind before it looks itself. */
    private static final long SWEEP_MILLIS = 2000;
    private static final File PROC = new File("/proc");
    private static final String NET_NS = "/ns/net";

    /**
     * What to run and how. {@code environment} is the command's whole environment. With
     * {@code rootInside} the command is root of a user namespace of its own (uid 0, like
     * {@code unshare -r}) rather than {@code user} without privileges.
     */
    public record Spec(TunSpec tun, String resolvConf, Credentials user, boolean rootInside, List<String> command,
                       Map<String, String> environment, Path workingDirectory) {}

    /**
     * How a command enters a namespace: {@code network} opens it; rootless, {@code joined} says how
     * to enter another nstun's ({@code nstun exec}).
     */
    public record Entry(String network, Optional<Joined> joined) {}

    /**
     * Another nstun's namespaces, rootless: {@code userNamespace} opens the user namespace that owns
     * its network namespace, entered first; {@code mounts} the mount namespace that nstun made for
     * the commands that join it ({@link #prepareMountsForJoiners}).
     */
    public record Joined(String userNamespace, String mounts) {}

    private final Spec spec;
    /** The namespace this nstun made and holds; null when it joined another's ({@link #join}). */
    private final Namespace namespace;
    private final Entry entry;
    /** This nstun's fd on the mount namespace it made for commands that join it, or -1 ({@link #prepareMountsForJoiners}). */
    private volatile int joinerMounts = -1;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    /** Completed once the keeper, after the command's exit, has killed what it left behind in this nstun's namespace. */
    private final CompletableFuture<Void> swept = new CompletableFuture<>();
    /** The keeper's start of the command, once {@link #startLaunch} asked for it. */
    private volatile CompletableFuture<SpawnedProcess> launching;
    /** The command's first process, once {@link #launch} started it. */
    private volatile SpawnedProcess process;

    private Sandbox(Spec spec, Namespace namespace, Entry entry) {
        this.spec = spec;
        this.namespace = namespace;
        this.entry = entry;
    }

    /**
     * Creates the namespace and its TUN, configured, with no command in it yet: what nstun records
     * about the run is on disk before there is a command to leave behind.
     */
    public static Sandbox create(Spec spec) throws SandboxException {
        Namespace made = build(spec.tun());
        return new Sandbox(spec, made, new Entry(made.path(), Optional.empty()));
    }

    /**
     * Returns a sandbox for a command in the namespace another nstun made and serves ({@code nstun
     * exec}), entered through {@code entry}; {@code spec}'s TUN is ignored. {@link #launch} starts
     * the command as for a namespace of its own (the same privilege drop and resolver files);
     * {@link #close} ends only that command: the namespace and whatever else runs there are the
     * other nstun's.
     */
    public static Sandbox join(Entry entry, Spec spec) {
        return new Sandbox(spec, null, entry);
    }

    /**
     * Makes the mount namespace of the commands that join this namespace rootless ({@code nstun
     * exec} into a plain user's {@code nstun up}), which only a process in this nstun's user
     * namespace may make: the same resolver files as this nstun's own command gets
     * ({@link CommandMounts}), mounted once, with the mounts the host makes later arriving there too.
     * A short-lived platform thread makes it and ends; this nstun keeps an fd on it until {@link
     * #close}. Returns the path through which a joining child enters it (nsenter, {@link
     * ChildCommand#argvJoining}).
     */
    public String prepareMountsForJoiners() throws SandboxException {
        joinerMounts = onThreadOfItsOwn("nstun-mounts", "make the mount namespace of the commands that join", () -> {
            CommandMounts.prepare(spec.resolvConf(), ResolverFiles.nsswitchConf(), CommandMounts.Propagation.FROM_HOST);
            int fd = LibC.INSTANCE.open("/proc/thread-self/ns/mnt", LibC.O_RDONLY | LibC.O_CLOEXEC);
            if (fd < 0) throw NativeException.last("open the mount namespace");
            return fd;
        });
        return "/proc/" + ProcessHandle.current().pid() + "/fd/" + joinerMounts;
    }

    /** Starts the command in the namespace; returns once it runs. Once only. */
    public void launch() throws SandboxException {
        startLaunch();
        awaitLaunch();
    }

    /**
     * Starts the command in the namespace on the keeper thread and returns at once, so that nstun
     * can ready what serves the TUN meanwhile (the command's first packets wait in the TUN's queue
     * until it reads them); {@link #awaitLaunch} says how the start went. Once only.
     */
    public void startLaunch() {
        if (launching != null) throw new IllegalStateException("the command was launched already");
        CompletableFuture<SpawnedProcess> started = new CompletableFuture<>();
        launching = started;
        Thread.ofPlatform().name("nstun-keeper").daemon(false).start(() -> keep(started));
    }

    /** Waits until the command {@link #startLaunch} started runs, or throws why it could not start. */
    public void awaitLaunch() throws SandboxException {
        try {
            process = launching.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SandboxException se) throw se;
            throw new SandboxException(SandboxException.Kind.FAILED, "cannot start the command: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException(SandboxException.Kind.FAILED, "interrupted while starting", e);
        }
    }

    /** The namespace the builder made: an fd on it, its TUN and its kernel name. */
    private record Namespace(int fd, TunDevice tun, String id) {
        /** The path through which a child of nstun's enters it. */
        String path() {
            return "/proc/" + ProcessHandle.current().pid() + "/fd/" + fd;
        }

        void close() {
            tun.close();
            LibC.INSTANCE.close(fd);
        }
    }

    /** Runs the builder and waits for it: it makes the namespace and its TUN, then ends. */
    private static Namespace build(TunSpec spec) throws SandboxException {
        return onThreadOfItsOwn("nstun-builder", "set up the namespace", () -> buildHere(spec));
    }

    /**
     * Runs {@code task} on a platform thread of its own, which ends with it (the namespaces it moved
     * into go with it), and returns what it made; its failure says it could not {@code what}.
     */
    private static <T> T onThreadOfItsOwn(String name, String what, Callable<T> task) throws SandboxException {
        CompletableFuture<T> made = new CompletableFuture<>();
        Thread thread = Thread.ofPlatform().name(name).start(() -> {
            try {
                made.complete(task.call());
            } catch (Throwable t) {
                made.completeExceptionally(t);
            }
        });
        try {
            // Joined before the result is read: nothing completes on that thread but this future.
            thread.join();
            return made.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SandboxException se) throw se;
            if (cause instanceof NativeException ne) throw SandboxException.of(what, ne);
            throw new SandboxException(SandboxException.Kind.FAILED, "cannot " + what + ": " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException(SandboxException.Kind.FAILED, "interrupted: cannot " + what, e);
        }
    }

    private static Namespace buildHere(TunSpec spec) throws IOException {
        NetworkNamespace.unshareNew();
        int fd = NetworkNamespace.openCurrent();
        TunDevice tun = null;
        try {
            tun = TunDevice.create(spec.name());
            configure(tun, spec);
            allowPing();
            return new Namespace(fd, tun, NetworkNamespace.currentId());
        } catch (IOException | RuntimeException e) {
            if (tun != null) tun.close();
            LibC.INSTANCE.close(fd);
            throw e;
        }
    }

    /**
     * The keeper's life: start the command, then wait for it (its death signal fires when this
     * thread ends). It starts the command from the command's namespaces, which it enters for good:
     * it opens no socket and starts no thread afterwards ({@link SpawnedProcess}: no helper process,
     * no reaper thread).
     */
    private void keep(CompletableFuture<SpawnedProcess> started) {
        SpawnedProcess p;
        try {
            p = startCommand(spec, entry, namespace);
        } catch (SandboxException e) {
            started.completeExceptionally(e);
            return;
        }
        started.complete(p);
        int status;
        try {
            status = p.waitFor();
        } catch (NativeException e) {
            // Nothing else in nstun waits for its children: not seen. The run ends, and close sweeps the namespace.
            exit.completeExceptionally(e);
            swept.completeExceptionally(e);
            return;
        }
        if (namespace != null) leaveToNamespace(namespace.tun());
        exit.complete(status);
        // At once, while nstun winds its stack down: what the command left in the namespace would keep it alive.
        if (namespace != null) killLeftBehind(namespace.id());
        swept.complete(null);
    }

    /**
     * Once the command has exited, before anyone hears of it (and so before the TUN's close): the
     * namespace is about to end (what the command left is killed next, then nstun closes its fd), so
     * the kernel may delete the TUN with it, after nstun's exit, rather than in the close on nstun's
     * exit path ({@link TunDevice#leaveToNamespace}). Until then a crash of nstun still deletes the
     * device at once.
     */
    private static void leaveToNamespace(TunDevice tun) {
        try {
            tun.leaveToNamespace();
        } catch (NativeException e) {
            log.debug("the TUN's close deletes it: {}", e.getMessage());
        }
    }

    /** Under sudo where plain users may not make user namespaces: the command stays in the host's, and the log says what that allows. */
    private static ChildCommand.Privilege dropInHostNamespace() {
        log.warn("unprivileged user namespaces are disabled here, so the command runs in the host's user namespace: a process of"
                + " the same user in the host's mount namespace lets it reach files nstun hides (the host resolver's sockets)");
        return ChildCommand.Privilege.DROP;
    }

    /**
     * Lets every group the command can have open ICMP echo sockets (a new namespace allows none):
     * ping without privilege, as the command runs, reaches the TUN and nothing else. The range is
     * in this user namespace's group ids (rootless, only the user's own is mapped), and
     * /proc/sys/net is the calling thread's network namespace's.
     */
    private static void allowPing() {
        try {
            long low = Long.MAX_VALUE;
            long high = 0;
            for (String line : Files.readAllLines(Path.of("/proc/self/gid_map"))) {
                String[] f = line.trim().split("\\s+"); // inside, outside, count
                low = Math.min(low, Long.parseLong(f[0]));
                high = Math.max(high, Long.parseLong(f[0]) + Long.parseLong(f[2]) - 1);
            }
            if (low > high) return;
            Files.writeString(Path.of("/proc/sys/net/ipv4/ping_group_range"), low + " " + Math.min(high, Integer.MAX_VALUE));
        } catch (IOException | RuntimeException e) {
            log.debug("cannot allow ICMP echo sockets in the namespace: {}", e.getMessage());
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

    /**
     * Starts the command. Where this nstun may, the calling thread enters the network namespace and
     * makes the command's mount namespace ({@link CommandMounts}) first, and the child is one
     * setpriv; rootless, joining another nstun's namespace, the child enters that nstun's namespaces
     * itself ({@link ChildCommand#argvJoining}).
     */
    private static SpawnedProcess startCommand(Spec spec, Entry entry, Namespace namespace) throws SandboxException {
        ChildCommand.Privilege privilege = spec.rootInside() ? ChildCommand.Privilege.MAPPED_ROOT
                // rootless: nstun's user namespace nests it, or another nstun's (exec)
                : !Privileges.inInitialUserNamespace() || entry.joined().isPresent() ? ChildCommand.Privilege.DROP
                : spec.user().unchanged() ? ChildCommand.Privilege.KEEP
                : HostChecks.system().userNamespacesAllowed() ? ChildCommand.Privilege.DROP_NESTED
                : dropInHostNamespace();
        List<String> argv;
        if (entry.joined().isPresent()) {
            Joined joined = entry.joined().get();
            if (!Files.exists(Path.of(joined.mounts()))) {
                throw new SandboxException(SandboxException.Kind.FAILED, "the namespace was made by an older nstun, which recorded no mount"
                        + " namespace for the commands that join it: restart it (nstun down, then nstun up)", null);
            }
            argv = ChildCommand.argvJoining(entry.network(), joined, workingDirectoryToEnter(spec), spec.user(), privilege, spec.command());
        } else {
            enterNetwork(entry, namespace);
            CommandMounts.prepare(spec.resolvConf(), ResolverFiles.nsswitchConf(), CommandMounts.Propagation.PRIVATE);
            argv = ChildCommand.argv(spec.user(), privilege, spec.command());
        }
        try {
            SpawnedProcess p = SpawnedProcess.start(argv, spec.environment(), spec.workingDirectory());
            log.debug("command started as pid {}", p.pid());
            return p;
        } catch (NativeException e) {
            // ENOENT: no setpriv on PATH (nsenter's absence the child itself says); otherwise the libc's own reason.
            throw new SandboxException(SandboxException.Kind.FAILED, e.errno() != NativeException.ENOENT ? "cannot start the command: " + e.getMessage()
                    : "cannot start util-linux's " + (entry.joined().isPresent() ? "setpriv and nsenter" : "setpriv")
                            + " (apt-get install util-linux): " + e.getMessage(), e);
        }
    }

    /**
     * Where a child that enters a mount namespace, which moves it to the namespace's root, goes back
     * to: the command's working directory, nstun's own by default; none (it stays at the root) when
     * this nstun, which runs as the command's user, may not search its way there.
     */
    private static Optional<Path> workingDirectoryToEnter(Spec spec) {
        Path directory = spec.workingDirectory() != null ? spec.workingDirectory() : Path.of(System.getProperty("user.dir"));
        if (Files.isExecutable(directory)) return Optional.of(directory);
        log.warn("the command starts in /: {} is out of its user's reach", directory);
        return Optional.empty();
    }

    /** Moves the calling thread into the command's network namespace: this nstun's own, or the one {@code entry} opens. */
    private static void enterNetwork(Entry entry, Namespace namespace) throws SandboxException {
        try {
            if (namespace != null) {
                NetworkNamespace.enter(namespace.fd());
                return;
            }
            int fd = LibC.INSTANCE.open(entry.network(), LibC.O_RDONLY | LibC.O_CLOEXEC);
            if (fd < 0) throw NativeException.last("open " + entry.network());
            try {
                NetworkNamespace.enter(fd);
            } finally {
                LibC.INSTANCE.close(fd);
            }
        } catch (NativeException e) {
            throw SandboxException.of("enter the namespace", e);
        }
    }

    /** Returns a path that opens the namespace while this nstun runs (its fd on it, under /proc). */
    public String namespacePath() {
        return entry.network();
    }

    /** Returns the TUN device: read and write it from any thread. */
    public TunDevice tun() {
        return namespace.tun();
    }

    /** Returns the pid of the command's first process (once launched). */
    public long pid() {
        return process.pid();
    }

    /** Returns the kernel's name of the network namespace this sandbox made (not of one it {@link #join joined}). */
    public String namespaceId() {
        return namespace.id();
    }

    /** Sends {@code signal} to the command. */
    public void signal(int signal) {
        SpawnedProcess p = process;
        if (p != null && p.isAlive()) LibC.INSTANCE.kill((int) p.pid(), signal);
    }

    /** Waits for the command; returns its exit status (128+N when killed by signal N). */
    public int waitFor() throws InterruptedException {
        try {
            return exit.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Ends what is left: kills the command if it still runs; in a namespace of its own, also every
     * process left behind there (they would keep the namespace alive), and closes the TUN and
     * nstun's fd on the namespace. Once the command has exited the TUN is left to the namespace,
     * which the kernel deletes with it after nstun's exit; otherwise its close deletes it, on a
     * thread of its own ({@link TunDevice#close}), so it goes first. What the command left behind the
     * keeper kills as soon as the command has exited; this waits for it (or, with no command, looks
     * itself).
     */
    @Override
    public void close() {
        SpawnedProcess p = launching == null ? null : launching.exceptionally(failed -> null).join();
        if (p != null && p.isAlive()) LibC.INSTANCE.kill((int) p.pid(), 9);
        if (joinerMounts >= 0) LibC.INSTANCE.close(joinerMounts);
        if (namespace == null) return;
        namespace.tun().close();
        if (p == null || !awaitSwept()) killLeftBehind(namespace.id());
        namespace.close();
    }

    /** Waits for the keeper's sweep of the namespace; returns whether it was done in time. */
    private boolean awaitSwept() {
        try {
            swept.get(SWEEP_MILLIS, TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Kills every process whose network namespace is {@code id}. */
    private static void killLeftBehind(String id) {
        for (long pid : processesIn(id)) {
            log.debug("killing pid {} left behind in the namespace", pid);
            LibC.INSTANCE.kill((int) pid, 9);
        }
    }

    /**
     * Lists processes whose network namespace is {@code id}. It reads one link per process on the
     * exit path, before nstun may end, where the JIT has not compiled it yet: a plain loop over the
     * names, one readlink each into one buffer, no exceptions for the links it may not read (a plain
     * user's, of other users' processes); no streams or lambdas (they cost more to start than the
     * hundred or so links cost to read).
     */
    static long[] processesIn(String id) {
        byte[] wanted = id.getBytes(StandardCharsets.US_ASCII);
        // One byte more than the id: a longer link fills it and does not match.
        ByteBuffer link = ByteBuffer.allocateDirect(wanted.length + 1);
        String[] names = PROC.list();
        if (names == null) {
            log.debug("cannot list {}", PROC);
            return new long[0];
        }
        long[] found = new long[4];
        int count = 0;
        for (String name : names) {
            if (!isPid(name) || LibC.INSTANCE.readlink(PROC + "/" + name + NET_NS, link) != wanted.length) continue;
            if (!sameBytes(link, wanted)) continue;
            if (count == found.length) found = Arrays.copyOf(found, count * 2);
            found[count++] = Long.parseLong(name);
        }
        return Arrays.copyOf(found, count);
    }

    private static boolean sameBytes(ByteBuffer link, byte[] wanted) {
        for (int i = 0; i < wanted.length; i++) {
            if (link.get(i) != wanted[i]) return false;
        }
        return true;
    }

    private static boolean isPid(String name) {
        if (name.isEmpty()) return false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') return false;
        }
        return true;
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
