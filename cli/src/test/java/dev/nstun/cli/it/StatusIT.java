package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * {@code nstun status} and {@code nstun top} from outside a run whose command holds a TCP flow open
 * to a server in a test namespace: the flow's destination, bytes, rule and outbound as the run's
 * control socket tells them; the socket owner-only and gone after the run; top in a real terminal
 * (tmux): it shows the flow, sorts on a key, quits on q or when the run ends, and gives the terminal
 * back as it was. Other runs may be live on the machine: every call names its run by pid.
 */
class StatusIT {
    private static final int PORT = 8090;
    /** What the command sends, and what the server answers at once on each connection. */
    private static final int SENT = 20_000;
    private static final int ANSWERED = 3_000;
    private static TestNetwork net;

    @BeforeAll
    static void setUp() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("python3");
        Requirements.requireCommand("bash");
        net = TestNetwork.create("statusit");
        String server = String.join("\n",
                "import socket, threading",
                "def serve(c):",
                "    c.sendall(b'x' * " + ANSWERED + ")",
                "    while c.recv(65536): pass",
                "    c.close()",
                "s = socket.create_server(('0.0.0.0', " + PORT + "), backlog=64)",
                "while True:",
                "    c, _ = s.accept()",
                "    threading.Thread(target=serve, args=(c,), daemon=True).start()");
        Process p = net.start("python3", "-c", server);
        net.awaitListening(p, PORT);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (net != null) net.close();
    }

    @Test
    void statusShowsTheHeldFlowWithItsRuleOutboundAndBytesAndTheSocketGoesWithTheRun(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), String.join("\n",
                "outbounds:",
                "  - {name: lan, type: direct}",
                "rules:",
                "  - {ip-cidr: [" + net.peer4() + "/32], port: [" + PORT + "], outbound: lan}",
                "  - {outbound: reject}", ""));
        // A name no rule lets through: NXDOMAIN from nstun's resolver itself.
        try (NstunProcess run = holdingAFlow("getent hosts nowhere.example >/dev/null; ", "-p", policy.toString())) {
            String pid = Long.toString(run.pid());
            Map<String, Object> flow = awaitFlow(pid, f -> number(f.get("bytesUp")) >= SENT && number(f.get("bytesDown")) >= ANSWERED, run);
            assertEquals("tcp", flow.get("protocol"), flow.toString());
            assertEquals("rule 1", flow.get("rule"), flow.toString());
            assertEquals("lan", flow.get("outbound"), flow.toString());
            assertEquals("ESTABLISHED", flow.get("state"), flow.toString());

            Result human = nstun("status", pid);
            assertEquals(0, human.status(), human.describe());
            assertTrue(human.out().contains(net.peer4() + ":" + PORT) && human.out().contains("rule 1") && human.out().contains("lan"),
                    human.describe());
            assertTrue(human.out().contains("flows: tcp rule 1 → lan: 1 flow"), human.describe());
            assertTrue(human.out().matches("(?s).*dns answers: [1-9][0-9]* here, .*"), "the NXDOMAIN, answered here: " + human.describe());

            Path socket = controlSocket(run.pid());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)), "the socket's mode");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())), "its directory's");

            run.writeStdin("go\n");
            run.closeStdin();
            assertEquals(0, run.await(), run.describe());
            assertFalse(Files.exists(socket), "the control socket is gone with the run");
            Result gone = nstun("status", pid);
            assertEquals(3, gone.status(), "no live run: " + gone.describe());
            assertEquals("nstun: no live run is " + pid, gone.err().strip().replaceFirst(" \\(live: .*\\)$", ""), gone.describe());
        }
    }

    @Test
    void topShowsTheFlowSortsOnAKeyQuitsOnQOrWhenTheRunEndsAndRestoresTheTerminal() throws Exception {
        try (Tmux tmux = Tmux.start("statusit"); NstunProcess run = holdingAFlow("")) {
            String pid = Long.toString(run.pid());
            awaitFlow(pid, f -> number(f.get("bytesUp")) >= SENT, run);
            // After top: its status, then whether canonical mode and echo are back (stty prints -icanon when not).
            String shell = NstunProcess.launcher() + " top " + pid + "; echo top-exit=$?; stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo"
                    + " | tr '\\n' ' '; echo; sleep 600";
            tmux.open("q", 220, 40, shell);
            String screen = tmux.await("q", s -> s.contains(net.peer4() + ":" + PORT), "the flow");
            assertTrue(screen.contains("sorted by bytes"), screen);
            tmux.send("q", "a");
            tmux.await("q", s -> s.contains("sorted by age"), "the order by age");
            tmux.send("q", "q");
            screen = tmux.await("q", s -> s.contains("top-exit=") && s.contains("icanon"), "top quitting on q, then stty");
            assertTrue(screen.contains("top-exit=0"), screen);
            assertTrue(screen.contains("icanon echo") && !screen.contains("-icanon") && !screen.contains("-echo"),
                    "canonical mode and echo are back: " + screen);
            assertFalse(screen.contains("sorted by"), "the alternate screen is gone: " + screen);

            tmux.open("end", 220, 40, shell);
            tmux.await("end", s -> s.contains(net.peer4() + ":" + PORT), "the flow, again");
            run.writeStdin("go\n");
            run.closeStdin();
            assertEquals(0, run.await(), run.describe());
            screen = tmux.await("end", s -> s.contains("top-exit=") && s.contains("icanon"), "top quitting when the run ends, then stty");
            assertTrue(screen.contains("nstun: run " + pid + " has ended") && screen.contains("top-exit=0"), screen);
            assertTrue(screen.contains("icanon echo") && !screen.contains("-icanon") && !screen.contains("-echo"),
                    "canonical mode and echo are back: " + screen);
        }
    }

    /**
     * Starts {@code nstun run [options] -- bash ...} whose command runs {@code first}, then sends {@link #SENT} bytes on one
     * connection and holds it until its stdin has a line.
     */
    private static NstunProcess holdingAFlow(String first, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(List.of(options));
        args.addAll(List.of("--", "bash", "-c", first + "exec 3<>/dev/tcp/" + net.peer4() + "/" + PORT + " && head -c " + SENT
                + " /dev/zero >&3 && echo sent; read x; exec 3>&-; echo done"));
        NstunProcess run = NstunProcess.start(args.toArray(String[]::new));
        run.awaitStdout("sent", 30);
        return run;
    }

    /** Asks {@code status --json} until the run's flow to the server satisfies {@code wanted}; returns it. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> awaitFlow(String pid, Predicate<Map<String, Object>> wanted, NstunProcess run) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String last = "";
        while (System.nanoTime() < deadline) {
            Result r = nstun("status", pid, "--json");
            assertEquals(0, r.status(), r.describe() + "\nthe run:\n" + run.describe());
            last = r.out();
            Map<String, Object> doc = (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(r.out());
            for (Map<String, Object> f : (List<Map<String, Object>>) doc.get("flows")) {
                if ((net.peer4() + ":" + PORT).equals(f.get("destination")) && wanted.test(f)) return f;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no flow to " + net.peer4() + ":" + PORT + " as wanted within 20 s; last status:\n" + last);
    }

    private static Path controlSocket(long pid) throws Exception {
        try (var entries = Files.list(Path.of("/run/nstun"))) {
            return entries.filter(e -> e.getFileName().toString().startsWith(pid + ".") && e.getFileName().toString().endsWith(".d"))
                    .findFirst().orElseThrow(() -> new AssertionError("no runtime directory of run " + pid)).resolve("control");
        }
    }

    private record Result(int status, String out, String err) {
        String describe() {
            return "exit " + status + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    /** Runs the repository's nstun to completion with {@code args}; stdout and stderr apart. */
    private static Result nstun(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(NstunProcess.launcher().toString()));
        argv.addAll(List.of(args));
        Path err = Files.createTempFile("nstun-statusit-", ".err");
        try {
            Process p = new ProcessBuilder(argv).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "nstun " + String.join(" ", args) + " did not end");
            return new Result(p.exitValue(), out, Files.readString(err));
        } finally {
            Files.deleteIfExists(err);
        }
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : -1;
    }
}
