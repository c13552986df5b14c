package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A {@link TestNetwork} with the real servers nstun's proxy outbounds meet, each started inside the
 * namespace with {@code ip netns exec}:
 *
 * <ul>
 *   <li>a web server on every address, ports {@link #WEB_PORTS}, serving {@link #FILE} (random
 *       bytes) and logging each request with its client address, so a test sees which proxy
 *       connected: each proxy connects from an address of its own ({@link Proxy#source4()});
 *   <li>dante (danted), SOCKS5 with username/password, CONNECT and UDP ASSOCIATE, port 1080;
 *   <li>microsocks with username/password and no UDP ASSOCIATE (it has none), port 1081;
 *   <li>tinyproxy, HTTP CONNECT with Basic authentication, port 3128;
 *   <li>dnsmasq on the peer's port 53 (UDP and TCP), with the test names, an MX and a TXT record;
 *   <li>a UDP echo server on the peer's addresses, port 7, that logs each client address.
 * </ul>
 *
 * <p>The test names ({@link #NAMES}) resolve only inside the namespace: {@code ip netns exec}
 * bind-mounts the files of {@code /etc/netns/<namespace>/} over {@code /etc/}, so the servers get
 * their own {@code hosts} and {@code resolv.conf}, and dante its own {@code passwd}, {@code group}
 * and {@code shadow} holding the test user (root, nobody and that user only: no host credential is
 * copied). The host's {@code /etc} is never touched; {@link #close()} kills every server by pid,
 * deletes the namespace, {@code /etc/netns/<namespace>} and the temporary files.
 */
final class ProxyNetwork implements AutoCloseable {
    static final String DOMAIN = "nstun-it.test";
    static final String WEB = "web." + DOMAIN;
    /** The names of the web server: in the namespace's /etc/hosts and in dnsmasq, never on the host. */
    static final List<String> NAMES = List.of(WEB, "one." + DOMAIN, "two." + DOMAIN, "three." + DOMAIN, "blocked." + DOMAIN);
    static final String FILE = "/file.bin";
    static final List<Integer> WEB_PORTS = List.of(8080, 8081, 8082);
    static final int DANTE_PORT = 1080;
    static final int MICROSOCKS_PORT = 1081;
    static final int TINYPROXY_PORT = 3128;
    static final int DNS_PORT = 53;
    static final int UDP_ECHO_PORT = 7;
    static final String MX_HOST = "mail." + DOMAIN;
    static final int MX_PREFERENCE = 10;
    static final String USER = "nstunit";

    private static final Path NETNS_ETC = Path.of("/etc/netns");
    /** Guards the creation and removal of /etc/netns, which fixtures of this JVM may share. */
    private static final Object NETNS_ETC_LOCK = new Object();

    private final TestNetwork net;
    private final Path dir;
    private final String password = HexFormat.of().formatHex(randomBytes(12));
    private final String txt = "nstun-it-" + HexFormat.of().formatHex(randomBytes(6));
    private Path etc;
    private boolean createdNetnsEtc;
    private byte[] file;
    private Process web;
    private Process dante;
    private Process microsocks;
    private Process tinyproxy;
    private Process dnsmasq;
    private Process udpEcho;

    private ProxyNetwork(TestNetwork net, Path dir) {
        this.net = net;
        this.dir = dir;
    }

    /** Creates the namespace {@code nstun-<name>-<random>}, starts every server and waits until each listens. */
    static ProxyNetwork start(String name) throws Exception {
        Requirements.requireRoot();
        for (String c : List.of("ip", "ss", "danted", "microsocks", "tinyproxy", "dnsmasq", "python3", "openssl", "curl", "dig")) {
            Requirements.requireCommand(c);
        }
        TestNetwork net = TestNetwork.create(name);
        ProxyNetwork p;
        try {
            p = new ProxyNetwork(net, Files.createTempDirectory("nstun-" + name + "-"));
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
        try {
            p.setUp();
            return p;
        } catch (Exception | AssertionError e) {
            try {
                p.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private void setUp() throws Exception {
        // The proxies connect from addresses of their own (microsocks from the peer's), so the web
        // server's and the echo server's logs tell which proxy carried a request.
        for (String a : List.of(dante().source4() + "/29", tinyproxy().source4() + "/29")) {
            net.exec("ip", "addr", "add", a, "dev", net.peerInterface());
        }
        net.exec("ip", "-6", "addr", "add", dante().source6() + "/64", "dev", net.peerInterface(), "nodad");
        writeEtc();
        writeSite();
        web = net.start(webCommand());
        udpEcho = net.start("python3", "-u", "-c", UDP_ECHO, Integer.toString(UDP_ECHO_PORT), peer4(), peer6());
        dante = net.start("danted", "-f", writeDanteConfig().toString(), "-p", dir.resolve("danted.pid").toString());
        microsocks = net.start("microsocks", "-i", peer4(), "-p", Integer.toString(MICROSOCKS_PORT), "-u", USER, "-P", password);
        tinyproxy = net.start("tinyproxy", "-d", "-c", writeTinyproxyConfig().toString());
        dnsmasq = net.start(dnsmasqCommand());
        for (int port : WEB_PORTS) net.awaitListening(web, port);
        net.awaitListening(dante, DANTE_PORT);
        net.awaitListening(microsocks, MICROSOCKS_PORT);
        net.awaitListening(tinyproxy, TINYPROXY_PORT);
        net.awaitListening(dnsmasq, DNS_PORT);
        awaitUdp(dnsmasq, DNS_PORT);
        awaitUdp(udpEcho, UDP_ECHO_PORT);
        // The names resolve inside (through the bind-mounted /etc/hosts), as the proxies will see them.
        String hosts = net.exec("getent", "ahostsv4", WEB);
        if (!hosts.contains(peer4())) throw new AssertionError("the namespace's /etc/hosts is not in effect: " + hosts);
    }

    private String[] webCommand() {
        List<String> argv = new ArrayList<>(List.of("python3", "-u", "-c", WEB_SERVER, dir.resolve("site").toString()));
        WEB_PORTS.forEach(p -> argv.add(Integer.toString(p)));
        return argv.toArray(String[]::new);
    }

    /** Writes /etc/netns/NS/{hosts,resolv.conf,passwd,group,shadow}; the password hash comes from openssl. */
    private void writeEtc() throws Exception {
        Requirements.ProcessResult hash = Requirements.run(dir, "openssl", "passwd", "-6", password);
        assertEquals(0, hash.exitCode(), "openssl passwd -6: " + hash.output());
        synchronized (NETNS_ETC_LOCK) {
            if (!Files.isDirectory(NETNS_ETC)) {
                Files.createDirectory(NETNS_ETC);
                createdNetnsEtc = true;
            }
            etc = Files.createDirectory(NETNS_ETC.resolve(net.namespace()));
        }
        StringBuilder names = new StringBuilder();
        for (String name : NAMES) names.append(peer4()).append(' ').append(name).append('\n');
        for (String name : NAMES) names.append(peer6()).append(' ').append(name).append('\n');
        Files.writeString(etc.resolve("hosts"), "127.0.0.1 localhost\n::1 localhost\n" + names);
        Files.writeString(dir.resolve("dns-hosts"), names);
        Files.writeString(etc.resolve("resolv.conf"), "nameserver " + peer4() + "\n");
        Files.writeString(etc.resolve("passwd"), String.join("\n",
                "root:x:0:0:root:/root:/bin/sh",
                "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
                USER + ":x:64999:64999:nstun integration tests:/nonexistent:/usr/sbin/nologin", ""));
        Files.writeString(etc.resolve("group"), "root:x:0:\nnogroup:x:65534:\n" + USER + ":x:64999:\n");
        Path shadow = Files.createFile(etc.resolve("shadow"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(shadow, String.join("\n",
                "root:*:19000:0:99999:7:::",
                "nobody:*:19000:0:99999:7:::",
                USER + ":" + hash.output().strip() + ":19000:0:99999:7:::", ""));
    }

    private void writeSite() throws IOException {
        Path site = Files.createDirectory(dir.resolve("site"));
        file = randomBytes(200_000);
        Files.write(site.resolve(FILE.substring(1)), file);
    }

    private Path writeDanteConfig() throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "logoutput: " + dir.resolve("danted.log"),
                "internal: " + peer4() + " port = " + DANTE_PORT,
                "internal: " + peer6() + " port = " + DANTE_PORT,
                "external: " + dante().source4(),
                "external: " + dante().source6(),
                "socksmethod: username",
                "clientmethod: none",
                "user.privileged: root",
                "user.unprivileged: nobody"));
        // 0/0 is any address of either family (0.0.0.0/0 would leave out IPv6 destinations).
        lines.addAll(List.of("client pass {", "  from: 0/0 to: 0/0", "  log: error", "}"));
        lines.addAll(List.of("socks pass {", "  from: 0/0 to: 0/0", "  command: connect udpassociate udpreply",
                "  log: connect disconnect error", "}"));
        return Files.write(dir.resolve("danted.conf"), lines);
    }

    private Path writeTinyproxyConfig() throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "Port " + TINYPROXY_PORT,
                "Listen " + peer4(),
                "Bind " + tinyproxy().source4(),
                "Timeout 30",
                "MaxClients 100",
                "LogFile \"" + dir.resolve("tinyproxy.log") + "\"",
                "LogLevel Connect",
                "PidFile \"" + dir.resolve("tinyproxy.pid") + "\"",
                "BasicAuth " + USER + " " + password,
                "DisableViaHeader Yes",
                "ConnectPort " + DNS_PORT));
        WEB_PORTS.forEach(p -> lines.add("ConnectPort " + p));
        return Files.write(dir.resolve("tinyproxy.conf"), lines);
    }

    private String[] dnsmasqCommand() {
        return new String[] {"dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
            "--addn-hosts=" + dir.resolve("dns-hosts"), "--listen-address=" + peer4(), "--bind-interfaces",
            "--port=" + DNS_PORT, "--user=root", "--pid-file=" + dir.resolve("dnsmasq.pid"),
            "--mx-host=" + DOMAIN + "," + MX_HOST + "," + MX_PREFERENCE, "--txt-record=" + DOMAIN + "," + txt,
            "--log-queries", "--log-facility=" + dir.resolve("dnsmasq.log")};
    }

    /** Waits until something in the namespace has UDP {@code port} open; fails if {@code p} dies first. */
    private void awaitUdp(Process p, int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (net.exec("ss", "-Hlun", "sport = :" + port).isBlank()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError(p.info().commandLine().orElse("pid " + p.pid()) + " does not listen on UDP " + port + ":\n" + net.log(p));
            }
            Thread.sleep(50);
        }
    }

    /** Returns the namespace and its veth pair. */
    TestNetwork net() {
        return net;
    }

    String peer4() {
        return net.peer4();
    }

    String peer6() {
        return net.peer6();
    }

    /** Returns the test user's password, the same for every proxy. */
    String password() {
        return password;
    }

    /** Returns the content of dnsmasq's TXT record for {@link #DOMAIN}, random per fixture. */
    String txt() {
        return txt;
    }

    /** Returns the SHA-256 of {@link #FILE}, as sha256sum prints it. */
    String fileSha256() {
        return TcpIT.sha256(file);
    }

    /** Returns {@code http://HOST:PORT/file.bin?TAG}; the tag finds the request in {@link #webClient}. */
    static String url(String host, int port, String tag) {
        return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port + FILE + "?" + tag;
    }

    Proxy dante() {
        return new Proxy("socks5", peer4(), DANTE_PORT, USER, password, sibling(peer4(), "3"), sibling(peer6(), "3"));
    }

    Proxy microsocks() {
        return new Proxy("socks5", peer4(), MICROSOCKS_PORT, USER, password, peer4(), peer6());
    }

    Proxy tinyproxy() {
        return new Proxy("http", peer4(), TINYPROXY_PORT, USER, password, sibling(peer4(), "4"), null);
    }

    /** Returns the address with its last digit replaced: 10.200.7.2 → 10.200.7.3, fdxx:…::2 → fdxx:…::3. */
    private static String sibling(String address, String last) {
        return address.substring(0, address.length() - 1) + last;
    }

    /**
     * Returns the client address of the web server's request whose query is {@code tag} (IPv4
     * without the ::ffff: prefix), or null when no such request arrived.
     */
    String webClient(String tag) throws IOException {
        for (String line : net.log(web).split("\n")) {
            String[] f = line.split(" ");
            if (f.length == 4 && f[0].equals("ACCESS") && f[3].endsWith("?" + tag)) return f[1];
        }
        return null;
    }

    /** Returns the web server's log: one "ACCESS client port path" line per request. */
    String webLog() throws IOException {
        return net.log(web);
    }

    /** Returns the UDP echo server's log: one "UDP client length" line per datagram. */
    String udpEchoLog() throws IOException {
        return net.log(udpEcho);
    }

    String danteLog() throws IOException {
        return readIfExists(dir.resolve("danted.log")) + net.log(dante);
    }

    String microsocksLog() throws IOException {
        return net.log(microsocks);
    }

    String tinyproxyLog() throws IOException {
        return readIfExists(dir.resolve("tinyproxy.log"));
    }

    /** Returns dnsmasq's query log ("query[MX] nstun-it.test from 10.200.X.3"). */
    String dnsmasqLog() throws IOException {
        return readIfExists(dir.resolve("dnsmasq.log"));
    }

    /** Asserts the host cannot resolve the test names: only a proxy inside the namespace can. */
    void assertHostCannotResolve() throws Exception {
        for (String name : NAMES) {
            Requirements.ProcessResult r = Requirements.run(Path.of("/"), "getent", "hosts", name);
            assertNotEquals(0, r.exitCode(), "the host resolves " + name + ", so a test could pass without the name reaching the proxy: " + r.output());
        }
    }

    private static String readIfExists(Path p) throws IOException {
        return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new Random(ThreadLocalRandom.current().nextLong()).nextBytes(b);
        return b;
    }

    /** Kills every server, deletes the namespace, /etc/netns/NS and the temporary files; safe to call twice. */
    @Override
    public void close() throws Exception {
        Exception failure = null;
        try {
            net.close();
        } catch (Exception e) {
            failure = e;
        }
        try {
            synchronized (NETNS_ETC_LOCK) {
                if (etc != null) deleteTree(etc);
                etc = null;
                if (createdNetnsEtc) {
                    try (Stream<Path> left = Files.list(NETNS_ETC)) {
                        if (left.findAny().isEmpty()) Files.deleteIfExists(NETNS_ETC);
                    }
                    createdNetnsEtc = false;
                }
            }
            deleteTree(dir);
        } catch (IOException e) {
            if (failure == null) failure = e;
            else failure.addSuppressed(e);
        }
        if (failure != null) throw failure;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * A proxy of the fixture and the test user's credentials for it.
     *
     * @param type {@code socks5} or {@code http}, as the policy's outbound type and the URL scheme
     * @param source4 the address it connects to destinations from (IPv4)
     * @param source6 the same for IPv6, or null when it is not fixed
     */
    record Proxy(String type, String host, int port, String username, String password, String source4, String source6) {
        /** Returns {@code host:port}. */
        String server() {
            return host + ":" + port;
        }

        /** Returns the same proxy with another password (to be rejected). */
        Proxy withPassword(String other) {
            return new Proxy(type, host, port, username, other, source4, source6);
        }

        /** Returns {@code type://user:password@host:port}, as --socks5 and --http take it. */
        String url() {
            return type + "://" + username + ":" + password + "@" + server();
        }

        /** Returns the policy's outbound for this proxy as a YAML flow map, with extra keys ("udp: true"). */
        String outbound(String name, String... extra) {
            StringBuilder s = new StringBuilder("{name: " + name + ", type: " + type + ", server: \"" + server() + "\", username: "
                    + username + ", password: \"" + password + "\"");
            for (String e : extra) s.append(", ").append(e);
            return s.append('}').toString();
        }
    }

    /** Serves a directory on the given ports of every address, logging "ACCESS client port path" per request. */
    private static final String WEB_SERVER = String.join("\n",
            "import functools, http.server, socket, sys, threading",
            "class Server(http.server.ThreadingHTTPServer):",
            "    address_family = socket.AF_INET6",
            "    daemon_threads = True",
            "    def server_bind(self):",
            "        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)",
            "        super().server_bind()",
            "class Logged(http.server.SimpleHTTPRequestHandler):",
            "    def log_message(self, *args): pass",
            "    def log_request(self, code='-', size='-'):",
            "        client = self.client_address[0]",
            "        client = client[7:] if client.startswith('::ffff:') else client",
            "        print('ACCESS', client, self.server.server_address[1], self.path, flush=True)",
            "handler = functools.partial(Logged, directory=sys.argv[1])",
            "servers = [Server(('::', int(p)), handler) for p in sys.argv[2:]]",
            "for s in servers[1:]: threading.Thread(target=s.serve_forever, daemon=True).start()",
            "servers[0].serve_forever()");

    /**
     * Echoes UDP datagrams on the given addresses, logging "UDP client length" per datagram. One
     * socket per address, not a wildcard: a reply must come from the address the datagram went to,
     * or dante, which relays it, drops it as coming from elsewhere.
     */
    private static final String UDP_ECHO = String.join("\n",
            "import select, socket, sys",
            "socks = []",
            "for host in sys.argv[2:]:",
            "    s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM)",
            "    s.bind((host, int(sys.argv[1])))",
            "    socks.append(s)",
            "while True:",
            "    for s in select.select(socks, [], [])[0]:",
            "        data, addr = s.recvfrom(65535)",
            "        print('UDP', addr[0], len(data), flush=True)",
            "        s.sendto(data, addr)");
}
