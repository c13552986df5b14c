package dev.nstun.netns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a killed nstun leaves for the next one to clean. The command's first process dies with
 * nstun (its death signal), but processes it started live on in a namespace that has no way out.
 * Each run records its namespace in {@code PID.run} under {@code /run/nstun} (root) or the user's
 * runtime directory (rootless, {@link #ofThisUser}); a later start finds records whose
 * nstun is gone and kills the processes still in that namespace that carry the run's mark in their
 * environment ({@code NSTUN=ID}: namespace numbers are reused once a namespace is freed, so the
 * namespace alone would not prove a process is ours). The record also names the run's policy file,
 * so that {@code nstun reload} finds the runs it can ask to re-read theirs, and each reload's
 * outcome is left beside it ({@code ID.reloaded}) for {@code nstun reload} to print. It names the
 * run's control socket too ({@link #controlSocket}), where {@code nstun status} asks what the run does.
 *
 * <p>A long-lived namespace ({@code nstun up NAME}) is a run too, and has a directory {@code NAME/}
 * besides: its record ({@link Instance}), and links to the namespaces a command enters it through
 * ({@code net}, and rootless {@code user}), which hold it only while its nstun runs. The name's
 * directory is the lock on the name: {@link #claim} makes it whole or not at all.
 */
public final class RunRegistry {
    private static final Logger log = LoggerFactory.getLogger(RunRegistry.class);
    /** In an instance's directory: its record, and the links through which a command enters its namespaces. */
    private static final String INSTANCE_FILE = "instance";
    private static final String NET_LINK = "net";
    private static final String USER_LINK = "user";
    private static final String MOUNT_LINK = "mnt";
    /** The environment variable that marks the command's processes with the run's id. */
    public static final String MARK = "NSTUN";

    private final Path dir;

    public RunRegistry(Path dir) {
        this.dir = dir;
    }

    /** The registry under /run, where root's runtime state lives and a reboot clears it. */
    public static RunRegistry system() {
        return new RunRegistry(Path.of("/run/nstun"));
    }

    /**
     * The registry of this user's runs: root's under /run, a plain user's (rootless) under
     * {@code $XDG_RUNTIME_DIR/nstun}, else {@code /tmp/nstun-UID}, which must be this user's own
     * directory when it exists already (another user could have made it, to plant records). The
     * launcher finds it by the same rule (it looks for records of killed runs there).
     */
    public static RunRegistry ofThisUser(Map<String, String> env) throws IOException {
        if (Privileges.isHostRoot()) return system();
        String runtime = env.get("XDG_RUNTIME_DIR");
        Path dir = runtime != null && runtime.startsWith("/") && Files.isDirectory(Path.of(runtime))
                ? Path.of(runtime, "nstun")
                : Path.of("/tmp", "nstun-" + Users.effectiveUid());
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            boolean ours = Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                    && ((Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)) == Users.effectiveUid();
            if (!ours) throw new IOException(dir + " is not a directory of this user's: remove it, or set XDG_RUNTIME_DIR");
        }
        return new RunRegistry(dir);
    }

    /**
     * The registries whose runs this user may look at: root's own and, for root, every user's
     * (under {@code /run/user/UID/nstun} and {@code /tmp/nstun-UID}, each only when that user owns
     * it); a plain user's own alone ({@link #ofThisUser}).
     */
    public static List<RunRegistry> visible(Map<String, String> env) throws IOException {
        if (!Privileges.isHostRoot()) return List.of(ofThisUser(env));
        List<RunRegistry> all = new ArrayList<>(List.of(system()));
        for (Path parent : List.of(Path.of("/run/user"), Path.of("/tmp"))) {
            if (!Files.isDirectory(parent)) continue;
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent)) {
                for (Path entry : entries) {
                    String uid = parent.equals(Path.of("/tmp"))
                            ? entry.getFileName().toString().startsWith("nstun-") ? entry.getFileName().toString().substring(6) : ""
                            : entry.getFileName().toString();
                    Path dir = parent.equals(Path.of("/tmp")) ? entry : entry.resolve("nstun");
                    if (uid.matches("[0-9]+") && ownedBy(dir, Integer.parseInt(uid))) all.add(new RunRegistry(dir));
                }
            }
        }
        return all;
    }

    private static boolean ownedBy(Path dir, int uid) {
        try {
            return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                    && ((Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)) == uid;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Returns a run id unique on this boot: nstun's pid and its start time. */
    public static String newRunId() {
        long pid = ProcessHandle.current().pid();
        return pid + "." + startTime(pid);
    }

    /**
     * A run whose nstun is alive: its id, nstun's pid, its namespace, its policy file, its control
     * socket if any, and the name it serves under when it is {@code nstun up NAME}.
     */
    public record Run(String id, long pid, String namespaceId, Optional<Path> policy, Optional<Path> control, Optional<InstanceName> name) {}

    /** What a run's last reload came to: a number that grows with each reload, and what it said. */
    public record ReloadOutcome(long sequence, boolean ok, List<String> lines) {}

    /**
     * A long-lived namespace ({@code nstun up NAME}) whose nstun is alive: its name, run id and
     * nstun's pid, its namespace, what its flows follow (as said to the user), when it started, and
     * how a command enters it ({@link Sandbox.Entry}, through the links in its directory).
     */
    public record Instance(InstanceName name, String runId, long pid, String namespaceId, String policy, Instant started, Sandbox.Entry entry) {}

    /** Someone has the name: the live instance, or empty when it is not nstun's (or is being set up). */
    public static final class NameTaken extends Exception {
        private final transient Optional<Instance> owner;

        NameTaken(InstanceName name, Optional<Instance> owner) {
            super(owner.map(o -> "a namespace named " + name + " is up already (nstun pid " + o.pid() + "): stop it with nstun down " + name)
                    .orElse("a namespace named " + name + " is being set up by another nstun"), null, false, false);
            this.owner = owner;
        }

        /** Returns the live instance that has the name, if it is set up. */
        public Optional<Instance> owner() {
            return owner;
        }
    }

    /**
     * Claims {@code name} for run {@code runId}: its directory appears with the run's id in it, at
     * once (a rename), or not at all. A name whose nstun is gone is cleaned up and taken.
     */
    public void claim(InstanceName name, String runId) throws IOException, NameTaken {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        for (int attempt = 0; ; attempt++) {
            Path draft = Files.createDirectory(dir.resolve("." + name + "." + runId));
            Files.writeString(draft.resolve(INSTANCE_FILE), "run " + runId + "\n");
            try {
                Files.move(draft, instanceDirectory(name), StandardCopyOption.ATOMIC_MOVE);
                return;
            } catch (IOException e) {
                deleteTree(draft);
                Optional<String> owner = ownerOf(name);
                if (attempt > 0 || owner.isPresent() && isAlive(owner.get())) throw new NameTaken(name, instance(name));
                removeInstance(name);
            }
        }
    }

    /**
     * Records how to enter the claimed namespace {@code name}: its id and {@code entry} (as links
     * {@code net}, and rootless {@code user} and {@code mnt}, in the name's directory, which the user
     * may use with nsenter), what it follows and since when. After this, {@link #instance} finds it.
     */
    public void publish(InstanceName name, String runId, String namespaceId, String policy, Instant started, Sandbox.Entry entry) throws IOException {
        Path d = instanceDirectory(name);
        Files.createSymbolicLink(d.resolve(NET_LINK), Path.of(entry.network()));
        if (entry.joined().isPresent()) {
            Files.createSymbolicLink(d.resolve(USER_LINK), Path.of(entry.joined().get().userNamespace()));
            Files.createSymbolicLink(d.resolve(MOUNT_LINK), Path.of(entry.joined().get().mounts()));
        }
        String text = "run " + runId + "\nnamespace " + namespaceId + "\npolicy " + policy.replace('\n', ' ') + "\nstarted " + started.toEpochMilli() + "\n";
        Path tmp = d.resolve(INSTANCE_FILE + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, d.resolve(INSTANCE_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Gives up {@code name}: its directory goes (its claim, links and log). */
    public void release(InstanceName name) {
        try {
            deleteTree(instanceDirectory(name));
            Files.deleteIfExists(dir.resolve(name + ".log"));
        } catch (IOException e) {
            log.debug("cannot remove the record of {}: {}", name, e.getMessage());
        }
    }

    /** Returns the live instance named {@code name}, published and with its nstun alive. */
    public Optional<Instance> instance(InstanceName name) {
        Path d = instanceDirectory(name);
        try {
            Map<String, String> fields = new java.util.HashMap<>();
            for (String line : Files.readAllLines(d.resolve(INSTANCE_FILE), StandardCharsets.UTF_8)) {
                int space = line.indexOf(' ');
                if (space > 0) fields.put(line.substring(0, space), line.substring(space + 1));
            }
            String runId = fields.get("run");
            if (runId == null || !fields.containsKey("started") || !isAlive(runId)) return Optional.empty();
            // (An up of an older nstun recorded no mount namespace: Sandbox says so to the exec that needs it.)
            Optional<Sandbox.Joined> joined = Files.isSymbolicLink(d.resolve(USER_LINK))
                    ? Optional.of(new Sandbox.Joined(d.resolve(USER_LINK).toString(), d.resolve(MOUNT_LINK).toString())) : Optional.empty();
            return Optional.of(new Instance(name, runId, Long.parseLong(runId.substring(0, runId.indexOf('.'))), fields.get("namespace"),
                    fields.getOrDefault("policy", ""), Instant.ofEpochMilli(Long.parseLong(fields.get("started"))),
                    new Sandbox.Entry(d.resolve(NET_LINK).toString(), joined)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Returns the live instances, by name. */
    public List<Instance> instances() {
        return instanceNames().stream().map(this::instance).flatMap(Optional::stream).toList();
    }

    /**
     * Returns where {@code nstun up --background} leaves the log of instance {@code name} (the
     * registry's directory made): beside the name's directory, since the log begins before the name
     * is claimed (a failed claim is in it).
     */
    public Path logFile(InstanceName name) throws IOException {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        return dir.resolve(name + ".log");
    }

    /** Returns the registry's directory. */
    public Path directory() {
        return dir;
    }

    private Path instanceDirectory(InstanceName name) {
        return dir.resolve(name.value());
    }

    private List<InstanceName> instanceNames() {
        List<InstanceName> names = new ArrayList<>();
        if (!Files.isDirectory(dir)) return names;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, e -> Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS)
                && InstanceName.isValid(e.getFileName().toString()))) {
            entries.forEach(e -> names.add(new InstanceName(e.getFileName().toString())));
        } catch (IOException e) {
            log.debug("cannot read {}: {}", dir, e.getMessage());
        }
        names.sort(java.util.Comparator.comparing(InstanceName::value));
        return names;
    }

    /** Returns the run id in {@code name}'s record, if it has one. */
    private Optional<String> ownerOf(InstanceName name) {
        try {
            return Files.readAllLines(instanceDirectory(name).resolve(INSTANCE_FILE), StandardCharsets.UTF_8).stream()
                    .filter(l -> l.startsWith("run ")).map(l -> l.substring("run ".length())).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Removes what the instance {@code name}, whose nstun is gone, left: as root its names for
     * {@code ip netns} (when they are still its namespace's), then its record.
     */
    private void removeInstance(InstanceName name) {
        if (Privileges.isHostRoot()) {
            try {
                Files.readAllLines(instanceDirectory(name).resolve(INSTANCE_FILE), StandardCharsets.UTF_8).stream()
                        .filter(l -> l.startsWith("namespace ")).findFirst()
                        .ifPresent(l -> NamedNamespace.remove(name, l.substring("namespace ".length())));
            } catch (IOException e) {
                log.debug("cannot read the record of {}: {}", name, e.getMessage());
            }
        }
        release(name);
    }

    /** Records that run {@code runId} owns namespace {@code namespaceId}. */
    public void record(String runId, String namespaceId) throws IOException {
        record(runId, namespaceId, Optional.empty());
    }

    /** Records that run {@code runId} owns namespace {@code namespaceId} and follows {@code policy}. */
    public void record(String runId, String namespaceId, Optional<Path> policy) throws IOException {
        record(runId, namespaceId, policy, Optional.empty());
    }

    /**
     * Records that run {@code runId} owns namespace {@code namespaceId}, follows {@code policy} and
     * answers on {@code control} (its {@link #controlSocket}).
     */
    public void record(String runId, String namespaceId, Optional<Path> policy, Optional<Path> control) throws IOException {
        String text = namespaceId + "\n" + policy.map(p -> "policy " + p.toAbsolutePath() + "\n").orElse("")
                + control.map(c -> "control " + c.toAbsolutePath() + "\n").orElse("");
        writeAtomically(runId + ".run", text);
    }

    /** Leaves the outcome of run {@code runId}'s reload number {@code sequence} for {@code nstun reload}. */
    public void recordReload(String runId, ReloadOutcome outcome) throws IOException {
        StringBuilder text = new StringBuilder().append(outcome.sequence()).append(outcome.ok() ? " ok" : " failed").append('\n');
        outcome.lines().forEach(l -> text.append(l.replace('\n', ' ')).append('\n'));
        writeAtomically(runId + ".reloaded", text.toString());
    }

    /** Returns the outcome of run {@code runId}'s last reload, if it had one. */
    public Optional<ReloadOutcome> lastReload(String runId) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve(runId + ".reloaded"), StandardCharsets.UTF_8);
            if (lines.isEmpty()) return Optional.empty();
            String[] head = lines.get(0).split(" ", 2);
            return Optional.of(new ReloadOutcome(Long.parseLong(head[0]), head.length > 1 && head[1].equals("ok"),
                    List.copyOf(lines.subList(1, lines.size()))));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Returns a directory for run {@code runId}'s sockets (nstun's DNS over TCP), under the registry
     * so that a later start removes it should the run be killed. The caller creates it.
     */
    public Path runtimeDirectory(String runId) {
        return dir.resolve(runId + ".d");
    }

    /**
     * Returns where run {@code runId}'s control socket lives: in its {@link #runtimeDirectory}, so
     * that it goes with the run's record, whether the run ends or is killed.
     */
    public Path controlSocket(String runId) {
        return runtimeDirectory(runId).resolve("control");
    }

    /** Returns the runs whose nstun is still alive, oldest record first. */
    public List<Run> live() {
        List<Run> runs = new ArrayList<>();
        if (!Files.isDirectory(dir)) return runs;
        Map<String, InstanceName> names = new java.util.HashMap<>();
        for (Instance i : instances()) names.put(i.runId(), i.name());
        try (DirectoryStream<Path> records = Files.newDirectoryStream(dir, "*.run")) {
            for (Path record : records) {
                String runId = record.getFileName().toString().replaceFirst("\\.run$", "");
                if (!isAlive(runId)) continue;
                List<String> lines = Files.readAllLines(record, StandardCharsets.UTF_8);
                if (lines.isEmpty()) continue;
                Optional<Path> policy = lines.stream().filter(l -> l.startsWith("policy ")).findFirst()
                        .map(l -> Path.of(l.substring("policy ".length())));
                // Only where this registry puts it: a record names no socket elsewhere for a reader to connect to.
                Optional<Path> control = lines.stream().filter(l -> l.startsWith("control ")).findFirst()
                        .map(l -> Path.of(l.substring("control ".length())))
                        .filter(c -> c.equals(controlSocket(runId).toAbsolutePath()));
                runs.add(new Run(runId, Long.parseLong(runId.substring(0, runId.indexOf('.'))), lines.get(0).trim(), policy, control,
                        Optional.ofNullable(names.get(runId))));
            }
        } catch (IOException | RuntimeException e) {
            log.debug("cannot read {}: {}", dir, e.getMessage());
        }
        runs.sort(java.util.Comparator.comparing(Run::id));
        return runs;
    }

    /** Forgets run {@code runId}: its namespace is gone. */
    public void forget(String runId) {
        try {
            Files.deleteIfExists(dir.resolve(runId + ".run"));
            Files.deleteIfExists(dir.resolve(runId + ".reloaded"));
            deleteTree(runtimeDirectory(runId));
        } catch (IOException e) {
            log.debug("cannot remove the record of run {}: {}", runId, e.getMessage());
        }
    }

    private static void deleteTree(Path directory) throws IOException {
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) return;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) Files.deleteIfExists(entry);
        }
        Files.deleteIfExists(directory);
    }

    private void writeAtomically(String name, String text) throws IOException {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tmp = dir.resolve(name + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Kills what runs whose nstun is gone left behind, and forgets them; then removes what
     * instances whose nstun is gone left (their names for ip netns, their records). Returns how many
     * processes were killed.
     */
    public int cleanStale() {
        if (!Files.isDirectory(dir)) return 0;
        // One listing for the three kinds, sorted out by name: globs and a filter lambda would each
        // compile a pattern or spin a class, on every run's start.
        List<String> runs = new ArrayList<>();
        List<InstanceName> instances = new ArrayList<>();
        List<Path> drafts = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String file = entry.getFileName().toString();
                if (file.endsWith(".run")) runs.add(file.substring(0, file.length() - ".run".length()));
                if (file.startsWith(".")) drafts.add(entry);
                if (InstanceName.isValid(file) && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) instances.add(new InstanceName(file));
            }
        } catch (IOException e) {
            log.debug("cannot read {}: {}", dir, e.getMessage());
            return 0;
        }
        int killed = cleanStaleRuns(runs);
        for (InstanceName name : instances) {
            Optional<String> owner = ownerOf(name);
            if (owner.isEmpty() || !isAlive(owner.get())) removeInstance(name);
        }
        removeStaleDrafts(drafts);
        return killed;
    }

    /** Removes the drafts of claims ({@code .NAME.RUNID}, see {@link #claim}) whose nstun was killed before it renamed them. */
    private void removeStaleDrafts(List<Path> drafts) {
        for (Path draft : drafts) {
            String[] parts = draft.getFileName().toString().split("\\.");
            if (parts.length != 4 || isAlive(parts[2] + "." + parts[3])) continue;
            try {
                deleteTree(draft);
            } catch (IOException e) {
                log.debug("cannot remove {}: {}", draft, e.getMessage());
            }
        }
    }

    /** Kills what the runs {@code runIds} left, when their nstun is gone, and forgets them. */
    private int cleanStaleRuns(List<String> runIds) {
        int killed = 0;
        for (String runId : runIds) {
            if (isAlive(runId)) continue;
            try {
                Path record = dir.resolve(runId + ".run");
                List<String> lines = Files.readAllLines(record, StandardCharsets.UTF_8);
                String namespace = lines.isEmpty() ? "" : lines.get(0).trim();
                for (long pid : Sandbox.processesIn(namespace)) {
                    if (hasMark(pid, runId)) {
                        LibC.INSTANCE.kill((int) pid, 9);
                        killed++;
                    }
                }
                Files.deleteIfExists(record);
                Files.deleteIfExists(dir.resolve(runId + ".reloaded"));
                deleteTree(runtimeDirectory(runId));
            } catch (IOException e) {
                log.debug("cannot clean up after run {} in {}: {}", runId, dir, e.getMessage());
            }
        }
        if (killed > 0) log.info("removed {} process(es) left behind by an nstun that was killed", killed);
        return killed;
    }

    /** Returns whether the nstun of {@code instance} still runs (a zombie does not). */
    public static boolean isAlive(Instance instance) {
        return isAlive(instance.runId());
    }

    private static boolean isAlive(String runId) {
        int dot = runId.indexOf('.');
        if (dot < 0) return false;
        try {
            long pid = Long.parseLong(runId.substring(0, dot));
            return runId.substring(dot + 1).equals(startTime(pid));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean hasMark(long pid, String runId) {
        try {
            byte[] env = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
            String wanted = MARK + "=" + runId;
            for (String var : new String(env, StandardCharsets.UTF_8).split("\0")) {
                if (var.equals(wanted)) return true;
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** Returns field 22 of /proc/PID/stat (start time in clock ticks since boot), or "gone" (a zombie too: its nstun has ended). */
    static String startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) is in parentheses and may hold spaces: count from its end.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return fields[0].equals("Z") ? "gone" : fields[19];
        } catch (IOException | RuntimeException e) {
            return "gone";
        }
    }
}
