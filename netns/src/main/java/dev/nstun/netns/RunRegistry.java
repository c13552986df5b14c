package dev.nstun.netns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
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
 */
public final class RunRegistry {
    private static final Logger log = LoggerFactory.getLogger(RunRegistry.class);
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

    /** A run whose nstun is alive: its id, nstun's pid, its namespace, its policy file and its control socket if any. */
    public record Run(String id, long pid, String namespaceId, Optional<Path> policy, Optional<Path> control) {}

    /** What a run's last reload came to: a number that grows with each reload, and what it said. */
    public record ReloadOutcome(long sequence, boolean ok, List<String> lines) {}

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
                runs.add(new Run(runId, Long.parseLong(runId.substring(0, runId.indexOf('.'))), lines.get(0).trim(), policy, control));
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

    /** Kills what runs whose nstun is gone left behind, and forgets them. Returns how many processes. */
    public int cleanStale() {
        if (!Files.isDirectory(dir)) return 0;
        int killed = 0;
        try (DirectoryStream<Path> runs = Files.newDirectoryStream(dir, "*.run")) {
            for (Path record : runs) {
                String runId = record.getFileName().toString().replaceFirst("\\.run$", "");
                if (isAlive(runId)) continue;
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
            }
        } catch (IOException e) {
            log.debug("cannot read {}: {}", dir, e.getMessage());
        }
        if (killed > 0) log.info("removed {} process(es) left behind by an nstun that was killed", killed);
        return killed;
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

    /** Returns field 22 of /proc/PID/stat (start time in clock ticks since boot), or "gone". */
    static String startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) is in parentheses and may hold spaces: count from its end.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return fields[19];
        } catch (IOException | RuntimeException e) {
            return "gone";
        }
    }
}
