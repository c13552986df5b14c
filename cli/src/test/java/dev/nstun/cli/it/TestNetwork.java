package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace joined to the host by a veth pair: an IPv4 /29 and an IPv6 ULA /64, each
 * chosen at random so as not to overlap any route or address of the host. The host end holds
 * {@link #host4()} / {@link #host6()}, the namespace end {@link #peer4()} / {@link #peer6()};
 * {@link #absent4()} / {@link #absent6()} are on the link but nobody has them, so ARP and neighbour
 * discovery for them fail after about 3 s. Tests send traffic only here, never off the machine.
 *
 * <p>{@link #close()} kills the background processes it started, then deletes the namespace and the
 * pair; {@link #create} calls it itself when set-up fails half way, so nothing is left behind.
 */
final class TestNetwork implements AutoCloseable {
    private static final Path ROOT = Path.of("/");

    private final String namespace;
    private final String hostVeth;
    private final String peerVeth;
    private final Map<Process, Path> background = new LinkedHashMap<>();
    private boolean namespaceCreated;
    private boolean vethCreated;
    private String host4;
    private String peer4;
    private String absent4;
    private String host6;
    private String peer6;
    private String absent6;

    private TestNetwork(String name) {
        String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
        this.namespace = "nstun-" + name + "-" + suffix;
        // Interface names have at most 15 characters; the random suffix keeps parallel runs apart.
        this.hostVeth = "ntn" + suffix + "h";
        this.peerVeth = "ntn" + suffix + "n";
    }

    /** Creates the namespace {@code nstun-<name>-<random>} and its veth pair, with addresses up. */
    static TestNetwork create(String name) throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("ip");
        TestNetwork net = new TestNetwork(name);
        try {
            net.setUp();
            return net;
        } catch (Exception | AssertionError e) {
            try {
                net.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private void setUp() throws Exception {
        int third = freeIpv4Subnet();
        host4 = "10.200." + third + ".1";
        peer4 = "10.200." + third + ".2";
        absent4 = "10.200." + third + ".5";
        String prefix6 = freeIpv6Prefix();
        host6 = prefix6 + "1";
        peer6 = prefix6 + "2";
        absent6 = prefix6 + "5";
        ip("netns", "add", namespace);
        namespaceCreated = true;
        ip("link", "add", hostVeth, "type", "veth", "peer", "name", peerVeth, "netns", namespace);
        vethCreated = true;
        noDuplicateAddressDetection(List.of(), hostVeth);
        noDuplicateAddressDetection(execPrefix(), peerVeth);
        ip("link", "set", hostVeth, "up");
        ip("-n", namespace, "link", "set", peerVeth, "up");
        ip("-n", namespace, "link", "set", "lo", "up");
        ip("addr", "add", host4 + "/29", "dev", hostVeth);
        ip("-6", "addr", "add", host6 + "/64", "dev", hostVeth, "nodad");
        ip("-n", namespace, "addr", "add", peer4 + "/29", "dev", peerVeth);
        ip("-n", namespace, "-6", "addr", "add", peer6 + "/64", "dev", peerVeth, "nodad");
    }

    /**
     * Readies {@code iface}, not yet up, for IPv6 packets at once: run with {@code prefix} (empty, or
     * {@link #execPrefix} for an interface inside a namespace), before its link goes up and its
     * addresses, nodad, are added. For about a second after a link goes up its link-local address is
     * tentative, and a packet sent from an address on another interface (dante's source address,
     * the sink's) finds no address to ask for its neighbour with: the first neighbour solicitation
     * waits for the retry, 1 s, or 3 when that one goes unanswered too, which a probe with a 3 s
     * timeout then sees as a stalled connect. Nothing to undo: the setting goes with the interface.
     */
    static void noDuplicateAddressDetection(List<String> prefix, String iface) throws Exception {
        List<String> argv = new ArrayList<>(prefix);
        argv.addAll(List.of("sh", "-c", "echo 0 > /proc/sys/net/ipv6/conf/" + iface + "/accept_dad"));
        Requirements.ProcessResult r = Requirements.run(ROOT, argv.toArray(String[]::new));
        assertEquals(0, r.exitCode(), String.join(" ", argv) + ": " + r.output());
    }

    /** Returns the namespace's name. */
    String namespace() {
        return namespace;
    }

    /** Returns the host end's IPv4 address. */
    String host4() {
        return host4;
    }

    /** Returns the namespace end's IPv4 address. */
    String peer4() {
        return peer4;
    }

    /** Returns an IPv4 address on the link that nobody has. */
    String absent4() {
        return absent4;
    }

    /** Returns the host end's IPv6 address, compressed as ping prints it. */
    String host6() {
        return host6;
    }

    /** Returns the namespace end's IPv6 address. */
    String peer6() {
        return peer6;
    }

    /** Returns an IPv6 address on the link that nobody has. */
    String absent6() {
        return absent6;
    }

    /** Returns the name of the veth end on the host. */
    String hostInterface() {
        return hostVeth;
    }

    /** Returns the name of the veth end inside the namespace. */
    String peerInterface() {
        return peerVeth;
    }

    /** Returns the words that run a command inside the namespace: {@code ip netns exec <name>}. */
    List<String> execPrefix() {
        return List.of("ip", "netns", "exec", namespace);
    }

    /** Runs {@code command} inside the namespace to completion; fails the test unless it exits 0. */
    String exec(String... command) throws Exception {
        List<String> argv = new ArrayList<>(execPrefix());
        argv.addAll(List.of(command));
        Requirements.ProcessResult r = Requirements.run(ROOT, argv.toArray(String[]::new));
        assertEquals(0, r.exitCode(), String.join(" ", argv) + ": " + r.output());
        return r.output();
    }

    /**
     * Makes the namespace drop everything: blackhole routes to the host's addresses swallow every
     * reply (SYN-ACK, RST, echo reply) it would send there, as a firewall that drops would, without
     * needing iptables. Neighbour discovery still works, so a connect times out rather than
     * failing as unreachable.
     */
    void dropEverythingToTheHost() throws Exception {
        exec("ip", "route", "add", "blackhole", host4 + "/32");
        exec("ip", "-6", "route", "add", "blackhole", host6 + "/128");
    }

    /**
     * Starts {@code command} in the background inside the namespace, its output going to a log file
     * ({@link #log}); {@link #close()} kills it if {@link #stop} has not. {@code ip netns exec}
     * replaces itself with the command, so the process's pid is the command's.
     */
    Process start(String... command) throws IOException {
        List<String> argv = new ArrayList<>(execPrefix());
        argv.addAll(List.of(command));
        Path log = Files.createTempFile(namespace + "-", ".log");
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        synchronized (background) {
            background.put(p, log);
        }
        return p;
    }

    /** Returns what a background process wrote so far. */
    String log(Process p) throws IOException {
        Path log;
        synchronized (background) {
            log = background.get(p);
        }
        return log == null ? "(no log)" : Files.readString(log, StandardCharsets.UTF_8);
    }

    /**
     * Starts a threaded HTTP server inside the namespace serving the files of {@code dir} on
     * {@code port} of every address, IPv4 and IPv6, with a deep accept queue, and waits until it
     * listens.
     */
    Process serveFiles(Path dir, int port) throws Exception {
        Requirements.requireCommand("python3");
        String server = String.join("\n",
                "import functools, http.server, socket, sys",
                "class Server(http.server.ThreadingHTTPServer):",
                "    address_family = socket.AF_INET6",
                "    request_queue_size = 4096",
                "    daemon_threads = True",
                "    def server_bind(self):",
                "        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)",
                "        super().server_bind()",
                "class Quiet(http.server.SimpleHTTPRequestHandler):",
                "    def log_message(self, *args): pass",
                "Server(('::', int(sys.argv[2])), functools.partial(Quiet, directory=sys.argv[1])).serve_forever()");
        Process p = start("python3", "-c", server, dir.toString(), Integer.toString(port));
        awaitListening(p, port);
        return p;
    }

    /** Waits until something in the namespace listens on TCP {@code port}; fails if {@code p} dies first. */
    void awaitListening(Process p, int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (exec("ss", "-Hltn", "sport = :" + port).isBlank()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError(p.info().commandLine().orElse("pid " + p.pid()) + " in " + namespace
                        + " does not listen on " + port + ":\n" + log(p));
            }
            Thread.sleep(50);
        }
    }

    /** Kills a background process (and anything it started) and deletes its log. */
    void stop(Process p) throws Exception {
        Path log;
        synchronized (background) {
            log = background.remove(p);
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        if (!p.waitFor(10, TimeUnit.SECONDS)) throw new AssertionError("pid " + p.pid() + " survived SIGKILL for 10 s");
        if (log != null) Files.deleteIfExists(log);
    }

    /** Kills the background processes, then deletes the namespace and the veth pair; safe to call twice. */
    @Override
    public void close() throws Exception {
        List<Exception> failures = new ArrayList<>();
        List<Process> running;
        synchronized (background) {
            running = new ArrayList<>(background.keySet());
        }
        for (Process p : running) {
            try {
                stop(p);
            } catch (Exception e) {
                failures.add(e);
            }
        }
        // Deleting the namespace deletes its veth end, and with it the pair; the link is deleted
        // explicitly too in case the namespace never got its end.
        if (namespaceCreated) {
            Requirements.ProcessResult r = Requirements.run(ROOT, "ip", "netns", "del", namespace);
            if (r.exitCode() != 0) failures.add(new IOException("ip netns del " + namespace + ": " + r.output()));
            namespaceCreated = false;
        }
        if (vethCreated) {
            if (Requirements.run(ROOT, "ip", "link", "show", hostVeth).exitCode() == 0) {
                Requirements.run(ROOT, "ip", "link", "del", hostVeth);
            }
            vethCreated = false;
        }
        if (!failures.isEmpty()) {
            Exception first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }

    /** Returns a third octet X such that 10.200.X.0/29 overlaps no route or address of the host. */
    private static int freeIpv4Subnet() throws Exception {
        List<BigInteger[]> used = usedRanges("-4", 32);
        for (int tries = 0; tries < 100; tries++) {
            int x = ThreadLocalRandom.current().nextInt(256);
            BigInteger start = BigInteger.valueOf((10L << 24) | (200L << 16) | ((long) x << 8));
            if (free(used, start, start.add(BigInteger.valueOf(7)))) return x;
        }
        throw new AssertionError("no free 10.200.X.0/29 for the test");
    }

    /**
     * Returns "fdXX:X:X::" for a random ULA /64 (RFC 4193) that overlaps nothing of the host's, in
     * the compressed form ping prints (no zero group, so no other spelling).
     */
    private static String freeIpv6Prefix() throws Exception {
        List<BigInteger[]> used = usedRanges("-6", 128);
        for (int tries = 0; tries < 100; tries++) {
            long globalId = ThreadLocalRandom.current().nextLong() & 0xff_ffff_ffffL;
            if ((globalId & 0xffff) == 0 || (globalId >>> 16 & 0xffff) == 0) continue;
            String prefix = String.format("fd%02x:%x:%x::", globalId >>> 32, (globalId >>> 16) & 0xffff, globalId & 0xffff);
            BigInteger start = new BigInteger(1, InetAddress.getByName(prefix).getAddress());
            if (free(used, start, start.add(BigInteger.ONE.shiftLeft(64)).subtract(BigInteger.ONE))) return prefix;
        }
        throw new AssertionError("no free ULA /64 for the test");
    }

    private static boolean free(List<BigInteger[]> used, BigInteger start, BigInteger end) {
        for (BigInteger[] r : used) {
            if (r[0].compareTo(end) <= 0 && start.compareTo(r[1]) <= 0) return false;
        }
        return true;
    }

    /** Returns [first, last] of every prefix in the host's routes (all tables) and addresses of a family. */
    private static List<BigInteger[]> usedRanges(String family, int bits) throws Exception {
        List<String> prefixes = new ArrayList<>();
        for (String line : Requirements.run(ROOT, "ip", family, "route", "show", "table", "all").output().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 0 || f[0].isEmpty()) continue;
            String first = List.of("local", "broadcast", "anycast", "multicast", "unicast", "blackhole", "unreachable", "prohibit", "throw")
                    .contains(f[0]) && f.length > 1 ? f[1] : f[0];
            if (!first.equals("default")) prefixes.add(first);
        }
        for (String line : Requirements.run(ROOT, "ip", "-o", family, "addr").output().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 3) prefixes.add(f[3]);
        }
        List<BigInteger[]> ranges = new ArrayList<>();
        for (String p : prefixes) {
            String[] parts = p.split("/");
            if (!parts[0].matches("[0-9A-Fa-f:.]+")) continue; // never let getByName look a name up
            int length = parts.length > 1 ? Integer.parseInt(parts[1]) : bits;
            BigInteger a = new BigInteger(1, InetAddress.getByName(parts[0]).getAddress());
            BigInteger size = BigInteger.ONE.shiftLeft(bits - length);
            BigInteger first = a.subtract(a.mod(size));
            ranges.add(new BigInteger[] {first, first.add(size).subtract(BigInteger.ONE)});
        }
        return ranges;
    }

    private static void ip(String... args) throws Exception {
        String[] command = new String[args.length + 1];
        command[0] = "ip";
        System.arraycopy(args, 0, command, 1, args.length);
        Requirements.ProcessResult r = Requirements.run(ROOT, command);
        assertEquals(0, r.exitCode(), String.join(" ", command) + ": " + r.output());
    }
}
