package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.cli.it.Fetches.Fetch;
import dev.nstun.cli.it.Fetches.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * {@code nstun run} as a plain user, no sudo: the launcher makes a user namespace of the user's own
 * and everything else is as under root. Root sets the machine up (a throwaway user, nstun installed
 * where that user can read it, /dev/net/tun usable, ICMP echo sockets allowed to the user's group,
 * each restored afterwards), then every nstun here runs as that user through setpriv, with an
 * environment of its own (nothing of root's: no XDG_RUNTIME_DIR, no HOME).
 */
class RootlessIT {
    private static final String USER = "nstun-rootless";
    private static final Path TUN = Path.of("/dev/net/tun");
    private static final Path PING_RANGE = Path.of("/proc/sys/net/ipv4/ping_group_range");
    private static final Path MAX_USERNS = Path.of("/proc/sys/user/max_user_namespaces");
    private static final int WEB_PORT = ProxyNetwork.WEB_PORTS.get(0);

    private static Path prefix;
    private static Path home;
    private static int uid;
    private static int gid;
    private static Set<PosixFilePermission> tunModeBefore;
    private static String pingRangeBefore;
    private static ProxyNetwork net;

    @BeforeAll
    static void setUpTheUserAndTheMachine() throws Exception {
        Requirements.requireRoot();
        for (String c : List.of("useradd", "userdel", "setpriv", "script", "ping", "dig", "getent", "curl")) Requirements.requireCommand(c);
        Requirements.run(Path.of("/"), "userdel", USER); // left by a killed run, if any
        Requirements.require(Requirements.run(Path.of("/"), "id", USER).exitCode() != 0, USER + " exists and cannot be removed");
        Requirements.ProcessResult add = Requirements.run(Path.of("/"), "useradd", "--system", "--no-create-home", "--shell", "/bin/sh", USER);
        assertEquals(0, add.exitCode(), add.output());
        uid = Integer.parseInt(Requirements.run(Path.of("/"), "id", "-u", USER).output().trim());
        gid = Integer.parseInt(Requirements.run(Path.of("/"), "id", "-g", USER).output().trim());
        // Installed where the user can read it: the repository may be in a private directory.
        prefix = Files.createTempDirectory("nstun-rootless");
        Files.setPosixFilePermissions(prefix, PosixFilePermissions.fromString("rwxr-xr-x"));
        Requirements.ProcessResult install = Requirements.run(Requirements.repoRoot(), "env", "PREFIX=" + prefix, "scripts/install");
        assertEquals(0, install.exitCode(), install.output());
        home = Files.createDirectory(prefix.resolve("home"));
        Requirements.run(Path.of("/"), "chown", USER + ":", home.toString());
        tunModeBefore = Files.getPosixFilePermissions(TUN);
        Files.setPosixFilePermissions(TUN, PosixFilePermissions.fromString("rw-rw-rw-"));
        pingRangeBefore = Files.readAllLines(PING_RANGE).get(0);
        Files.writeString(PING_RANGE, gid + " " + gid);
        Requirements.require(Long.parseLong(Files.readAllLines(MAX_USERNS).get(0).trim()) > 0,
                "user namespaces are disabled here (user.max_user_namespaces = 0)");
        net = ProxyNetwork.start("rootless");
    }

    @AfterAll
    static void restoreTheMachine() throws Exception {
        if (net != null) net.close();
        if (tunModeBefore != null) Files.setPosixFilePermissions(TUN, tunModeBefore);
        if (pingRangeBefore != null) Files.writeString(PING_RANGE, pingRangeBefore);
        if (prefix != null) Requirements.run(Path.of("/"), "rm", "-rf", prefix.toString());
        // Whatever a failed test left running as the throwaway user (userdel refuses while any runs).
        for (String pid : Requirements.run(Path.of("/"), "pgrep", "-u", USER).output().split("\\s+")) {
            if (!pid.isBlank()) Requirements.run(Path.of("/"), "kill", "-KILL", pid.strip());
        }
        Requirements.run(Path.of("/"), "userdel", USER);
        // What the user's runs kept: their registry, which must be empty by now.
        Requirements.run(Path.of("/"), "rm", "-rf", registry().toString());
    }

    @Test
    void theCommandKeepsTheUsersIdentityWithoutAnyPrivilege() throws Exception {
        NstunProcess p = asUser("run", "--", "sh", "-c", "id -u; id -g; grep -E '^(CapEff|CapPrm|NoNewPrivs):' /proc/self/status");
        assertEquals(0, p.exitCode(), p.describe());
        List<String> lines = p.stdout().lines().map(String::strip).toList();
        assertAll(
                () -> assertEquals(Integer.toString(uid), lines.get(0), p.describe()),
                () -> assertEquals(Integer.toString(gid), lines.get(1), p.describe()),
                () -> assertTrue(p.stdout().contains("CapEff:\t0000000000000000"), p.describe()),
                () -> assertTrue(p.stdout().contains("CapPrm:\t0000000000000000"), p.describe()),
                () -> assertTrue(p.stdout().contains("NoNewPrivs:\t1"), p.describe()));
    }

    @Test
    void rootInsideIsRootOfItsOwnNamespaceAndCannotUndoTheResolverFiles() throws Exception {
        String script = String.join("\n",
                "echo uid=$(id -u)",
                "umount /etc/resolv.conf 2>/dev/null; echo umount=$?",
                "grep -c '^nameserver 198.18.0.2$' /etc/resolv.conf",
                Fetches.script(List.of(new Fetch("as-root", ProxyNetwork.url(net.peer4(), WEB_PORT, "rootless-root-inside")))));
        NstunProcess p = asUser("run", "--root-inside", "--", "sh", "-c", script);
        assertEquals(0, p.exitCode(), p.describe());
        Result fetch = Fetches.parse(p.stdout()).get("as-root");
        assertAll(
                () -> assertTrue(p.stdout().contains("uid=0\n"), p.describe()),
                () -> assertFalse(p.stdout().contains("umount=0"), "a mount nstun made was undone: " + p.describe()),
                () -> assertTrue(p.stdout().contains("\n1\n"), "resolv.conf is nstun's: " + p.describe()),
                () -> assertEquals(net.fileSha256(), fetch.sha256(), p.describe()));
    }

    @Test
    void directTcpUdpDnsAndPingGoThroughTheStack() throws Exception {
        String script = String.join("\n",
                Fetches.script(List.of(new Fetch("direct", ProxyNetwork.url(net.peer4(), WEB_PORT, "rootless-direct")))),
                "echo dig=$(dig +short +time=5 +tries=1 @" + net.peer4() + " " + ProxyNetwork.WEB + ")",
                "echo getent=$(getent ahostsv4 " + ProxyNetwork.WEB + " | head -n1)",
                "ping -c1 -W5 " + net.peer4() + " >/dev/null 2>&1; echo ping=$?");
        NstunProcess p = asUser("run", "--dns-upstream", net.peer4(), "--", "sh", "-c", script);
        assertEquals(0, p.exitCode(), p.describe());
        Result fetch = Fetches.parse(p.stdout()).get("direct");
        assertAll(
                () -> assertEquals(0, fetch.exit(), p.describe()),
                () -> assertEquals(net.fileSha256(), fetch.sha256(), p.describe()),
                () -> assertTrue(p.stdout().contains("dig=" + net.peer4()), "UDP DNS to the peer: " + p.describe()),
                () -> assertTrue(p.stdout().contains("getent=" + net.peer4()), "the command's resolver (nstun's): " + p.describe()),
                () -> assertTrue(p.stdout().contains("ping=0"), "ICMP echo: " + p.describe()));
    }

    @Test
    void aSocks5ProxyCarriesNamesResolvedAtTheProxy() throws Exception {
        String script = Fetches.script(List.of(new Fetch("by-name", ProxyNetwork.url(ProxyNetwork.WEB, WEB_PORT, "rootless-socks5"))));
        NstunProcess p = asUser("run", "--socks5", net.dante().url(), "--", "sh", "-c", script);
        assertEquals(0, p.exitCode(), p.describe());
        Result fetch = Fetches.parse(p.stdout()).get("by-name");
        String client = net.webClient("rootless-socks5");
        assertAll(
                () -> assertEquals(0, fetch.exit(), p.describe()),
                () -> assertEquals(net.fileSha256(), fetch.sha256(), p.describe()),
                () -> assertTrue(net.dante().source4().equals(client) || net.dante().source6().equals(client),
                        "the web server saw " + client + ", not dante"));
    }

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource(delimiter = '|', value = {
        "exit 0|0", "exit 7|7", "kill -TERM $$|143", "kill -KILL $$|137"})
    void exitStatusIsTheCommands(String body, int status) throws Exception {
        NstunProcess p = asUser("run", "--", "sh", "-c", body);
        assertEquals(status, p.exitCode(), p.describe());
    }

    @Test
    void commandsThatCannotRunAre126And127() throws Exception {
        NstunProcess missing = asUser("run", "--", "nstun-no-such-command");
        Path data = Files.writeString(home.resolve("data.txt"), "echo not a program\n");
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rw-r--r--"));
        NstunProcess notExecutable = asUser("run", "--", data.toString());
        assertAll(
                () -> assertEquals(127, missing.exitCode(), missing.describe()),
                () -> assertEquals(126, notExecutable.exitCode(), notExecutable.describe()));
    }

    @Test
    void stdinAndATerminalPassThrough() throws Exception {
        NstunProcess p = start("run", "--", "tr", "a-z", "A-Z");
        p.writeStdin("hello rootless\n");
        p.closeStdin();
        assertEquals(0, p.await(), p.describe());
        assertEquals("HELLO ROOTLESS\n", p.stdout());
        List<String> tty = new ArrayList<>(userPrefix());
        tty.addAll(List.of("script", "-qec", launcher() + " run -- sh -c 'test -t 0 && test -t 1 && echo stdin-and-stdout-are-a-tty'", "/dev/null"));
        Requirements.ProcessResult r = Requirements.run(Path.of("/"), tty.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("stdin-and-stdout-are-a-tty"), r.output());
    }

    /**
     * A plain user's JVM takes the priority policy root's does, from its start, without a word (its
     * warning that the policy may need privilege is silenced): the compiler threads at nice 19,
     * everything else, the command too, at 0.
     */
    @Test
    void theCompilersYieldWithoutAWordAndNothingElseDoes() throws Exception {
        try (NstunProcess p = start(JvmThreads.RUN)) {
            JvmThreads.assertOnlyTheCompilersYield(p);
        }
    }

    @Test
    void whenTheCommandExitsWhatItStartedEndsWithIt() throws Exception {
        NstunProcess p = asUser("run", "--", "sh", "-c", "sleep 1000 & echo bg=$!");
        assertEquals(0, p.exitCode(), p.describe());
        assertTrue(waitUntilGone(pidAfter(p.stdout(), "bg=")), "a process the command started outlived the run");
        try (Stream<Path> records = Files.list(registry())) {
            assertEquals(List.of(), records.toList(), "records left in " + registry());
        }
    }

    @Test
    void theUserSeesItsRunsStatusOnASocketOfItsOwnAndRootSeesItToo() throws Exception {
        try (NstunProcess p = start("run", "--", "sh", "-c", "echo ready; read x")) {
            p.awaitStdout("ready", 30);
            NstunProcess status = asUser("status", "--json");
            assertEquals(0, status.exitCode(), status.describe());
            Map<?, ?> run = (Map<?, ?>) ((Map<?, ?>) new Load(LoadSettings.builder().build()).loadFromString(status.stdout())).get("run");
            Path socket = registry().resolve(run.get("id") + ".d").resolve("control");
            assertEquals(uid, Files.getAttribute(socket, "unix:uid"), "the socket is the user's");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)), "and the user's only");

            Requirements.ProcessResult root = Requirements.run(Path.of("/"), NstunProcess.launcher().toString(), "status", String.valueOf(run.get("pid")));
            assertEquals(0, root.exitCode(), "root sees every user's runs: " + root.output());
            assertTrue(root.output().contains("nstun " + run.get("pid") + ": sh -c echo ready; read x"), root.output());

            p.writeStdin("go\n");
            assertEquals(0, finish(p).exitCode(), p.describe());
            NstunProcess after = asUser("status");
            assertEquals(3, after.exitCode(), "no live run: " + after.describe());
            assertFalse(Files.exists(socket), "the socket went with the run");
        }
    }

    @Test
    void afterSigkillOfNstunTheCommandDiesAndTheNextRunRemovesWhatItLeft() throws Exception {
        long leftover;
        long first;
        try (NstunProcess p = start("run", "--", "sh", "-c", "sleep 1000 & echo bg=$!; echo sh=$$; echo ready; wait")) {
            p.closeStdin();
            p.awaitStdout("ready", 30);
            leftover = pidAfter(p.stdout(), "bg=");
            first = pidAfter(p.stdout(), "sh=");
            Requirements.run(Path.of("/"), "kill", "-KILL", Long.toString(p.pid()));
            p.await();
        }
        assertTrue(waitUntilGone(first), "the command's first process outlived nstun");
        assertFalse(ProcessHandle.of(leftover).isEmpty() || isZombie(leftover), "the command's background process was expected to linger until the next run");
        NstunProcess next = asUser("run", "--", "true");
        assertEquals(0, next.exitCode(), next.describe());
        assertTrue(waitUntilGone(leftover), "the next run did not remove the process the killed one left");
        try (Stream<Path> records = Files.list(registry())) {
            assertEquals(List.of(), records.toList(), "records left in " + registry());
        }
    }

    @Test
    void anXClientDrawsOnTheUsersDisplayWithTheUsersCookie(@TempDir Path serverFiles) throws Exception {
        for (String c : List.of("Xvfb", "xdpyinfo", "xauth")) Requirements.requireCommand(c);
        try (XServer x = XServer.start(serverFiles)) {
            Path cookie = home.resolve(".Xauthority");
            x.writeClientAuthority(cookie, USER);
            List<String> session = new ArrayList<>(userPrefix());
            session.addAll(List.of("DISPLAY=" + x.name(), "XAUTHORITY=" + cookie));
            NstunProcess p = finish(NstunProcess.start(session, launcher(), Map.of(), "run", "--", "xdpyinfo"));
            assertEquals(0, p.exitCode(), p.describe());
            assertTrue(p.stdout().contains("name of display:    " + x.name() + "\n"), p.describe());
        }
    }

    @Test
    void upExecAndDownWorkAsAPlainUser() throws Exception {
        NstunProcess up = asUser("up", "--background", "rootless-up", "--dns-upstream", net.peer4());
        assertEquals(0, up.exitCode(), up.describe());
        String script = String.join("\n",
                Fetches.script(List.of(new Fetch("in-up", ProxyNetwork.url(ProxyNetwork.WEB, WEB_PORT, "rootless-up")))),
                "id -u",
                "grep -E '^(CapEff|NoNewPrivs):' /proc/self/status",
                "pwd",
                "grep -c '^nameserver 198.18.0.2$' /etc/resolv.conf",
                "exit 3");
        // Started in the user's home: the command goes on there.
        NstunProcess exec = finish(NstunProcess.start(userPrefix(List.of("env", "--chdir=" + home)), launcher(), Map.of(),
                "exec", "rootless-up", "--", "sh", "-c", script));
        NstunProcess ls = asUser("ls");
        Result fetch = Fetches.parse(exec.stdout()).get("in-up");
        assertAll(
                () -> assertEquals(3, exec.exitCode(), "the command's status: " + exec.describe()),
                () -> assertEquals(net.fileSha256(), fetch.sha256(), exec.describe()),
                () -> assertTrue(exec.stdout().contains("\n" + uid + "\n"), "the user's own uid: " + exec.describe()),
                () -> assertTrue(exec.stdout().contains("CapEff:\t0000000000000000"), exec.describe()),
                () -> assertTrue(exec.stdout().contains("NoNewPrivs:\t1"), exec.describe()),
                () -> assertTrue(exec.stdout().endsWith("\n" + home + "\n1\n"), "its working directory, nstun's resolv.conf: " + exec.describe()),
                () -> assertTrue(ls.stdout().lines().anyMatch(l -> l.startsWith("rootless-up ")), ls.describe()),
                () -> assertTrue(Files.isSymbolicLink(registry().resolve("rootless-up/user")), "pinned under " + registry()));
        NstunProcess down = asUser("down", "rootless-up");
        assertEquals(0, down.exitCode(), down.describe());
        try (Stream<Path> records = Files.list(registry())) {
            assertEquals(List.of(), records.toList(), "records left in " + registry());
        }
    }

    @Test
    void anInterfaceOrFwmarkOutboundIsRefusedWhenThePolicyLoads() throws Exception {
        Path policy = home.resolve("bound.yaml");
        Files.writeString(policy, String.join("\n",
                "outbounds:",
                "  - {name: eth, type: direct, interface: lo}",
                "rules:",
                "  - {outbound: eth}", ""));
        Files.setPosixFilePermissions(policy, PosixFilePermissions.fromString("rw-r--r--"));
        NstunProcess p = asUser("run", "-p", policy.toString(), "--", "true");
        assertAll(
                () -> assertEquals(125, p.exitCode(), p.describe()),
                () -> assertTrue(p.stderr().contains("bound.yaml:2:") && p.stderr().contains("needs root"), p.describe()));
    }

    @Test
    void doctorSaysAllIsWellAndItsTrialWorks() throws Exception {
        NstunProcess p = asUser("doctor");
        assertEquals(0, p.exitCode(), p.describe());
        assertAll(
                () -> assertTrue(p.stdout().contains("(rootless)"), p.describe()),
                () -> assertTrue(p.stdout().contains("✓ /dev/net/tun: usable"), p.describe()),
                () -> assertTrue(p.stdout().contains("✓ ping"), p.describe()),
                () -> assertTrue(p.stdout().contains("✓ trial: `nstun run -- true` works"), p.describe()),
                () -> assertFalse(p.stdout().contains("✗"), p.describe()));
    }

    @Test
    void aTunDeviceTheUserMayNotOpenIsSaidWithItsFix() throws Exception {
        Files.setPosixFilePermissions(TUN, PosixFilePermissions.fromString("rw-------"));
        try {
            NstunProcess doctor = asUser("doctor", "--no-trial");
            NstunProcess run = asUser("run", "--", "true");
            assertAll(
                    () -> assertEquals(1, doctor.exitCode(), doctor.describe()),
                    () -> assertTrue(doctor.stdout().contains("✗ /dev/net/tun: not readable and writable by this user"), doctor.describe()),
                    () -> assertTrue(doctor.stdout().contains("sudo chmod 0666 /dev/net/tun"), doctor.describe()),
                    () -> assertEquals(125, run.exitCode(), run.describe()),
                    () -> assertTrue(run.stderr().contains("sudo chmod 0666 /dev/net/tun"), run.describe()));
        } finally {
            Files.setPosixFilePermissions(TUN, PosixFilePermissions.fromString("rw-rw-rw-"));
        }
    }

    @Test
    void disabledUserNamespacesAreSaidWithTheirFix() throws Exception {
        // user.max_user_namespaces is per user namespace and bounds every one below it: set to 0 in
        // one of the user's own (the host's value may not be writable, even by root), it stops the
        // launcher's as the host's would. The user then drops the capabilities it had there.
        List<String> disabled = List.of("unshare", "--user", "--map-current-user", "--keep-caps", "--", "sh", "-c",
                "echo 0 > " + MAX_USERNS + " && exec setpriv --inh-caps=-all --ambient-caps=-all -- \"$@\"", "sh");
        NstunProcess doctor = finish(NstunProcess.start(userPrefix(disabled), launcher(), Map.of(), "doctor", "--no-trial"));
        NstunProcess run = finish(NstunProcess.start(userPrefix(disabled), launcher(), Map.of(), "run", "--", "true"));
        assertAll(
                () -> assertEquals(1, doctor.exitCode(), doctor.describe()),
                () -> assertTrue(doctor.stdout().contains("✗ user namespaces: disabled (user.max_user_namespaces = 0)"), doctor.describe()),
                () -> assertEquals(125, run.exitCode(), run.describe()),
                () -> assertTrue(run.stderr().contains("sudo sysctl -w user.max_user_namespaces="), run.describe()));
    }

    /** Runs nstun as the user to completion, with empty stdin. */
    private static NstunProcess asUser(String... args) throws Exception {
        return finish(start(args));
    }

    private static NstunProcess finish(NstunProcess p) throws Exception {
        p.closeStdin();
        p.await();
        return p;
    }

    private static NstunProcess start(String... args) throws Exception {
        return NstunProcess.start(userPrefix(), launcher(), Map.of(), args);
    }

    /** setpriv to the user, and a clean environment such as a login would give. */
    private static List<String> userPrefix() {
        return userPrefix(List.of());
    }

    /** The same, with {@code between} run as the user before the environment is set. */
    private static List<String> userPrefix(List<String> between) {
        List<String> prefix = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--init-groups", "--"));
        prefix.addAll(between);
        prefix.addAll(List.of("env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin", "HOME=" + home, "USER=" + USER,
                "LOGNAME=" + USER, "LANG=C.UTF-8"));
        return prefix;
    }

    private static Path launcher() {
        return prefix.resolve("bin/nstun");
    }

    /** Where the user's runs are recorded: no XDG_RUNTIME_DIR in their environment, so under /tmp. */
    private static Path registry() {
        return Path.of(System.getProperty("java.io.tmpdir"), "nstun-" + uid);
    }

    private static boolean isZombie(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "stat")).contains(") Z ");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static long pidAfter(String stdout, String key) {
        return stdout.lines().filter(l -> l.startsWith(key)).map(l -> Long.parseLong(l.substring(key.length()).trim()))
                .findFirst().orElseThrow(() -> new AssertionError("no " + key + " in:\n" + stdout));
    }

    /** Waits until {@code pid} is gone or a zombie (the parent of an orphan may reap it late); false after 10 s. */
    private static boolean waitUntilGone(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ProcessHandle.of(pid).isPresent() && !isZombie(pid)) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(20);
        }
        return true;
    }
}
