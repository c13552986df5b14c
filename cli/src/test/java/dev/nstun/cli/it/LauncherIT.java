package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's JVM options differ by JDK (-Xlog:aot from 24, an AOT cache from 25, a dynamic
 * class-data archive per major version before it or when no training run made one): whatever JDK
 * runs the suite, a whole run (jffi's native memory access: sun.misc.Unsafe before JDK 23) says nothing on
 * stderr, a training run leaves the archive of that JDK which the next start loads nstun from, and
 * an archive older than the jar or of another JDK build is replaced. CI runs this on the host's JDK
 * 25 and on Debian 13's openjdk-21 (test-vms/rootfs). Tests that remove the trained archive train
 * it again when the class ends, as scripts/build does.
 */
class LauncherIT {
    private static final Path JAR = NstunProcess.builtJar();
    private static final Path TRAINED = NstunProcess.trainedArchive(JAR);
    private static final Path TRAINED_TOOLS = NstunProcess.trainedToolsArchive(JAR);
    private static final Path DYNAMIC = NstunProcess.dynamicArchive(JAR);
    private static final int MAJOR = Runtime.version().feature();
    /** The name the runs look up (the training's own, cli/.../ArchiveTraining.java). */
    private static final String NAME = "training.nstun.example";

    @AfterAll
    static void trainAgain() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) return; // the tests were skipped
        if (fresh(TRAINED) && fresh(TRAINED_TOOLS)) return;
        NstunProcess training = train();
        assertEquals(0, training.exitCode(), training.describe());
    }

    private static boolean fresh(Path archive) throws Exception {
        return Files.isRegularFile(archive) && Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(JAR)) > 0;
    }

    /**
     * scripts/build's training runs, a run's then check's where check has an archive of its own (a
     * training drops the archive it makes first): the first that fails, or the last.
     */
    private static NstunProcess train() throws Exception {
        Path policy = Requirements.repoRoot().resolve("scripts/archive-training.yaml");
        NstunProcess training = null;
        for (List<String> args : List.of(List.of("run", "-p", policy.toString(), "--", "true"), List.of("check", policy.toString()))) {
            if (args.get(0).equals("check") && fresh(TRAINED_TOOLS)) break;
            training = NstunProcess.start(List.of(), Map.of("NSTUN_TRAIN_ARCHIVE", policy.toString()), args.toArray(String[]::new));
            training.closeStdin();
            training.await();
            if (training.exitCode() != 0) break;
        }
        return training;
    }

    @Test
    void trainingLeavesTheArchiveOfItsJdkThatTheNextRunStartsFrom(@TempDir Path dir) throws Exception {
        Requirements.requireRoot();
        NstunProcess training = train();
        assertAll(
                () -> assertEquals(0, training.exitCode(), training.describe()),
                () -> assertTrue(Files.isRegularFile(TRAINED), "JDK " + MAJOR + ": no class-data archive " + TRAINED + " after the training run"),
                () -> assertTrue(Files.isRegularFile(TRAINED_TOOLS), "JDK " + MAJOR + ": no class-data archive " + TRAINED_TOOLS + " after the training run"));
        // The training's policy run is followed by a run without one, runs that look names up and connect, explain, check
        // and --version (cli/.../ArchiveTraining.java): each starts from the archive alone, and the classes of the lookups
        // and connections come from it too. The commands that pass no signal on to a command of their own do without the
        // native binding.
        Path policy = Requirements.repoRoot().resolve("scripts/archive-training.yaml");
        int dnsPort;
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            dnsPort = probe.getLocalPort();
        }
        // dnsmasq on the host's loopback answers the name with nstun's resolver address, which --host-loopback carries there.
        Process dnsmasq = new ProcessBuilder("dnsmasq", "--keep-in-foreground", "--port=" + dnsPort, "--listen-address=127.0.0.1",
                "--bind-interfaces", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--pid-file=", "--address=/" + NAME + "/198.18.0.2")
                .redirectErrorStream(true).redirectOutput(dir.resolve("dnsmasq.log").toFile()).start();
        try (ServerSocket listener = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            Thread.ofPlatform().daemon(true).start(() -> answer(listener));
            startsFromTheArchive(dir, policy, listener.getLocalPort(), dnsPort);
        } finally {
            dnsmasq.destroy();
            dnsmasq.waitFor();
        }
    }

    private static void answer(ServerSocket listener) {
        while (!listener.isClosed()) {
            try (Socket s = listener.accept()) {
                s.getInputStream().read();
                s.getOutputStream().write("answer\n".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // The run's status says that the command got no answer.
            }
        }
    }

    /**
     * Each command the training ran starts from its archive, none of nstun's classes from the jar and
     * no class made for a pattern switch of nstun's; {@code port}, on the host's loopback, answers
     * the connections, and {@code dnsPort} there answers {@link #NAME}.
     */
    private static void startsFromTheArchive(Path dir, Path policy, int port, int dnsPort) throws Exception {
        String connect = " && echo question >&3 && read -r -t 5 answer <&3 && [ \"$answer\" = answer ]";
        // --host-loopback: the resolver's address reaches the host's loopback.
        List<String> connecting = List.of("run", "--host-loopback", "--", "bash", "-c", "exec 3<>/dev/tcp/198.18.0.2/" + port + connect);
        // A name looked up through nstun to the DNS upstream, then connected to.
        List<String> naming = List.of("run", "--host-loopback", "--dns-upstream=udp://127.0.0.1:" + dnsPort, "--", "bash", "-c",
                "exec 3<>/dev/tcp/" + NAME + "/" + port + connect);
        // A policy's fake address for an allowed name, answered by nstun itself.
        List<String> allowing = List.of("run", "--host-loopback", "--allow", NAME, "--allow", "198.18.0.2:" + port, "--", "bash", "-c",
                "getent hosts " + NAME + " >/dev/null && exec 3<>/dev/tcp/198.18.0.2/" + port + connect);
        for (List<String> args : List.of(List.of("run", "--", "true"), List.of("run", "-p", policy.toString(), "--", "true"), connecting,
                naming, allowing, List.of("explain", policy.toString(), "www.example.com:443"), List.of("check", policy.toString()),
                List.of("--version"))) {
            // A file the JVM makes: one that exists it would keep as LOG.0 and start anew.
            Path log = dir.resolve("class-load-" + args.get(0) + args.size() + ".log");
            try {
                NstunProcess run = NstunProcess.start(List.of(), Map.of("NSTUN_JAVA_OPTS", "-Xlog:class+load=info,class+init=info:file=" + log),
                        args.toArray(String[]::new));
                run.closeStdin();
                run.await();
                List<String> lines = Files.readAllLines(log);
                assertAll(
                        () -> assertEquals(0, run.exitCode(), run.describe()),
                        () -> assertEquals("", run.stderr(), "JDK " + MAJOR + ": " + args + " with the archive said something"),
                        () -> assertTrue(lines.stream().anyMatch(l -> l.contains(" dev.nstun.cli.Main source: shared objects file")),
                                "JDK " + MAJOR + ": nstun's Main of " + args + " not from its archive: " + lines.stream().filter(l -> l.contains(" dev.nstun.cli.Main ")).toList()),
                        () -> assertEquals(List.of(), lines.stream().filter(l -> l.contains(" dev.nstun.") && l.contains("source: file:")).toList(),
                                "JDK " + MAJOR + ": nstun classes " + args + " loaded from the jar, not the archive"),
                        // A pattern switch's class is made at its first use, the archive never holds one: none on these paths.
                        () -> assertEquals(List.of(), lines.stream().filter(l -> l.contains(" dev.nstun.") && l.contains("$$TypeSwitch")).toList(),
                                "JDK " + MAJOR + ": " + args + " made classes for pattern switches"),
                        // An AOT cache loads every class it holds as the JVM starts: what a command uses is what it initialises.
                        () -> assertTrue(lines.stream().anyMatch(l -> l.contains("Initializing 'dev/nstun/cli/Main'")),
                                "JDK " + MAJOR + ": the log shows no class initialised"),
                        () -> assertTrue(args.get(0).equals("run") || lines.stream().noneMatch(l -> l.contains("Initializing 'com/kenai/jffi/")),
                                "JDK " + MAJOR + ": " + args + " initialised jffi"),
                        // The JDK's locale data, which a first String.format or number format loads (jffi's did, before
                        // 1.3.14): about 25 ms of a run's CPU on 2 cores. No start needs it.
                        () -> assertTrue(lines.stream().noneMatch(l -> l.contains("Initializing 'sun/util/cldr/CLDRLocaleProviderAdapter'")),
                                "JDK " + MAJOR + ": " + args + " loaded the JDK's locale data"),
                        // Nor its security providers, which a first SecureRandom loads (the JDK's UNIX sockets make
                        // one): about 20 ms of a run's CPU (ControlServer, IsnGenerator.keyedByKernel).
                        () -> assertTrue(lines.stream().noneMatch(l -> l.contains("Initializing 'sun/security/provider/Sun'")),
                                "JDK " + MAJOR + ": " + args + " loaded the JDK's security providers"),
                        // Nor a system logger, which ProcessBuilder's start looks up (JDK 24+) through a services file
                        // in the jar: 10-20 ms of a run's CPU (netns/.../SpawnedProcess starts the command).
                        () -> assertTrue(lines.stream().noneMatch(l -> l.contains("Initializing 'jdk/internal/logger/LoggerFinderLoader'")),
                                "JDK " + MAJOR + ": " + args + " looked a system logger up"));
            } finally {
                Files.deleteIfExists(log);
            }
        }
    }

    /** Without a trained archive the first run that may write beside the jar makes one, quietly. */
    @Test
    void runsQuietlyAndLeavesAnArchiveWithoutATrainedOne() throws Exception {
        Requirements.requireRoot();
        Files.deleteIfExists(TRAINED);
        Files.deleteIfExists(DYNAMIC);
        NstunProcess first = NstunProcess.run("run", "--", "true");
        assertAll(
                () -> assertEquals(0, first.exitCode(), first.describe()),
                () -> assertEquals("", first.stderr(), "JDK " + MAJOR + ": the first run (no archive yet) said something"),
                () -> assertTrue(Files.isRegularFile(DYNAMIC), "JDK " + MAJOR + ": no class-data archive " + DYNAMIC + " after the first start"));
        NstunProcess second = NstunProcess.run("run", "--", "true");
        assertAll(
                () -> assertEquals(0, second.exitCode(), second.describe()),
                () -> assertEquals("", second.stderr(), "JDK " + MAJOR + ": the run with the archive said something"));
    }

    /**
     * picocli and jffi are compiled for Java 5, whose class files no class-data
     * archive holds: the build rewrites them as format 50 (ClassFileUpgrade), so that a command
     * started again loads picocli, which every command parses with, from the archive, not from the
     * jar. (Only picocli's: a class a background thread loads, the signal thread's binding on JDK
     * 21, may come after the first start's archive was written at its exit.)
     */
    @Test
    void startsAgainWithPicocliFromTheArchive(@TempDir Path dir) throws Exception {
        Requirements.requireRoot();
        Path policy = Requirements.repoRoot().resolve("scripts/archive-training.yaml");
        Files.deleteIfExists(TRAINED_TOOLS);
        Files.deleteIfExists(DYNAMIC);
        assertEquals(0, NstunProcess.run("check", policy.toString()).exitCode(), "the first check");
        Path log = dir.resolve("class-load.log");
        try {
            NstunProcess again = NstunProcess.start(List.of(), Map.of("NSTUN_JAVA_OPTS", "-Xlog:class+load:file=" + log), "check", policy.toString());
            again.closeStdin();
            assertEquals(0, again.await(), again.describe());
            List<String> lines = Files.readAllLines(log);
            List<String> fromJar = lines.stream().filter(l -> l.contains(" picocli.") && l.contains("source: file:")).toList();
            assertAll(
                    () -> assertTrue(lines.stream().anyMatch(l -> l.contains(" picocli.CommandLine source: shared objects file")),
                            "JDK " + MAJOR + ": picocli.CommandLine not from the archive: " + lines.stream().filter(l -> l.contains(" picocli.CommandLine ")).toList()),
                    () -> assertEquals(List.of(), fromJar, "JDK " + MAJOR + ": picocli classes the second start loaded from the jar"));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /**
     * After a rebuild an archive is of the old jar: the JVM refuses it and never replaces it itself.
     * The launcher drops it, and the run makes a dynamic one.
     */
    @Test
    void replacesAnArchiveOlderThanItsJar() throws Exception {
        Requirements.requireRoot();
        FileTime built = Files.getLastModifiedTime(JAR);
        if (!Files.isRegularFile(TRAINED)) assertEquals(0, train().exitCode(), "the training run");
        if (!TRAINED.equals(DYNAMIC)) Files.deleteIfExists(DYNAMIC);
        Files.setLastModifiedTime(TRAINED, FileTime.fromMillis(built.toMillis() - 3_600_000));
        NstunProcess run = NstunProcess.run("run", "--", "true");
        assertAll(
                () -> assertEquals(0, run.exitCode(), run.describe()),
                () -> assertEquals("", run.stderr(), "JDK " + MAJOR + ": the run with a stale archive said something"),
                () -> assertTrue(Files.isRegularFile(DYNAMIC) && Files.getLastModifiedTime(DYNAMIC).compareTo(built) > 0,
                        "JDK " + MAJOR + ": no fresh archive " + DYNAMIC + " after the run"),
                () -> assertTrue(!Files.exists(TRAINED) || Files.getLastModifiedTime(TRAINED).compareTo(built) > 0,
                        "JDK " + MAJOR + ": the archive older than the jar was kept: " + TRAINED));
    }

    /**
     * A dynamic archive with the right name made by another build of the JDK (an update installed
     * since): the JVM refuses it and writes one of its own at exit (-XX:+AutoCreateSharedArchive);
     * the run neither fails nor says a word. (An AOT cache is named after the JDK's build: another
     * build looks for another file, and without it comes here.)
     */
    @Test
    void runsQuietlyWithAnArchiveOfAnotherJdkBuild() throws Exception {
        Requirements.requireRoot();
        Files.deleteIfExists(TRAINED);
        if (!Files.isRegularFile(DYNAMIC)) assertEquals(0, NstunProcess.run("run", "--", "true").exitCode());
        // The archive's header names the JVM that made it, "... VM (25.0.3+9-LTS) for linux-amd64 JRE (25.0.3+9-LTS) ...":
        // the same bytes with another version are what the next update of the JDK would find.
        byte[] bytes = Files.readAllBytes(DYNAMIC);
        byte[] version = ("(" + Runtime.version() + ")").getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(bytes, version);
        assertTrue(at >= 0, "JDK " + MAJOR + ": " + new String(version, StandardCharsets.US_ASCII) + " not found in the header of " + DYNAMIC);
        bytes[at + 1] = (byte) (bytes[at + 1] == '9' ? '8' : '9');
        Files.write(DYNAMIC, bytes);
        NstunProcess run = NstunProcess.run("run", "--", "true");
        assertAll(
                () -> assertEquals(0, run.exitCode(), run.describe()),
                () -> assertEquals("", run.stderr(), "JDK " + MAJOR + ": the run with another JDK's archive said something"),
                () -> assertTrue(Files.isRegularFile(DYNAMIC) && indexOf(Files.readAllBytes(DYNAMIC), version) >= 0,
                        "JDK " + MAJOR + ": the archive of another JDK build was kept, or none made in its place"));
    }

    /**
     * With the archive in place, as after scripts/build, JDK 21 runs and JDK 25 runs with the AOT cache end with _exit (ImmediateExit,
     * past the JVM's 300 ms wait for threads in native code): the exit status, the command's last
     * output and nstun's own message still arrive, and the JVM leaves no perf-data file behind.
     */
    @Test
    void endsWithStatusAndOutputAndLeavesNoPerfData() throws Exception {
        Requirements.requireRoot();
        if (!Files.isRegularFile(TRAINED)) assertEquals(0, train().exitCode(), "the training run");
        NstunProcess run = NstunProcess.run("run", "--", "sh", "-c", "echo last words; exit 7");
        NstunProcess missing = NstunProcess.run("run", "--", "/nonexistent/command");
        assertAll(
                () -> assertEquals(7, run.exitCode(), run.describe()),
                () -> assertEquals("last words\n", run.stdout(), "JDK " + MAJOR + ": the command's output"),
                () -> assertEquals("", run.stderr(), "JDK " + MAJOR + ": stderr"),
                () -> assertEquals(127, missing.exitCode(), missing.describe()),
                () -> assertTrue(missing.stderr().contains("/nonexistent/command: no such file or directory"),
                        "JDK " + MAJOR + ": nstun's own message, got: " + missing.stderr()),
                () -> assertFalse(Files.exists(Path.of("/tmp/hsperfdata_" + System.getProperty("user.name"), Long.toString(run.pid()))),
                        "JDK " + MAJOR + ": the JVM's perf-data file of pid " + run.pid() + " was left behind"));
    }

    /** With -v a run says where its start went (bench/e2e/startup prints it): each milestone, in order, in ms of the JVM's uptime. */
    @Test
    void saysWhereTheStartWentWithVerbose() throws Exception {
        Requirements.requireRoot();
        NstunProcess run = NstunProcess.run("-v", "run", "--", "true");
        assertEquals(0, run.exitCode(), run.describe());
        String line = run.stderr().lines().filter(l -> l.contains("start-up, ms of the JVM's uptime:")).findFirst().orElse("");
        List<String> names = new java.util.ArrayList<>();
        long previous = 0;
        for (String part : line.substring(line.indexOf("uptime:") + "uptime:".length()).split(",")) {
            String[] nameAndMs = part.strip().split(" ");
            names.add(nameAndMs[0]);
            long ms = Long.parseLong(nameAndMs[1]);
            assertTrue(ms >= previous && ms < 60_000, "milestone " + nameAndMs[0] + " at " + ms + " ms in: " + line);
            previous = ms;
        }
        assertEquals(List.of("main", "parsed", "planned", "namespace", "stack", "command"), names, run.stderr());
    }

    /**
     * The launcher starts the JVM with its compiler threads at nice 19 (the start's own work
     * goes first on a busy machine); nstun's threads, the JVM's others and the command stay at 0, and
     * nothing is said about it.
     */
    @Test
    void theCompilersYieldAndNothingElseDoes() throws Exception {
        Requirements.requireRoot();
        try (NstunProcess p = NstunProcess.start(JvmThreads.RUN)) {
            JvmThreads.assertOnlyTheCompilersYield(p);
        }
    }

    /**
     * With -Xrs HotSpot opens its attach socket (/tmp/.java_pidN, jcmd's) as the JVM starts, and a
     * nstun killed with SIGKILL left it behind: the launcher turns the attach mechanism off, so
     * there is none even while nstun runs.
     */
    @Test
    void opensNoAttachSocket() throws Exception {
        Requirements.requireRoot();
        try (NstunProcess p = NstunProcess.start("run", "--", "sh", "-c", "echo started; read line; exit 0")) {
            p.awaitStdout("started", 30);
            Path socket = Path.of("/tmp", ".java_pid" + p.pid()); // HotSpot's, whatever java.io.tmpdir says
            assertFalse(Files.exists(socket), "JDK " + Runtime.version().feature() + ": the JVM's attach socket " + socket + " while nstun runs");
            p.closeStdin();
            assertEquals(0, p.await(), p.describe());
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) return i;
        }
        return -1;
    }
}
