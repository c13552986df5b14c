package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing leaks past the proxy. A proxy host (dante in a {@link ProxyNetwork}) and a sink host (a
 * {@link TestNetwork} with TCP and UDP echo listeners, dnsmasq, and its kernel answering pings),
 * joined by a link of their own, so dante reaches the sink without the host's interfaces while
 * nstun reaches it directly over the sink's veth. One root command inside {@code nstun run} sends a
 * probe of every kind, each carrying a token of its own: TCP and UDP over IPv4 and IPv6, ping,
 * ICMP echo from a raw socket, DNS over UDP and TCP straight to the sink (the token in the name),
 * packets written onto the TUN ({@link RawProbe}), and TCP and UDP to the host's own addresses and
 * loopback.
 *
 * <p>The control (the sink {@code direct}) shows a capture on the sink's veth sees every probe
 * kind, so the probes work. With everything through dante (UDP ASSOCIATE for UDP) the sink hears
 * only dante's address, and a capture on every interface of the host, {@code lo} included, sees no
 * token and no packet to the sink outside the connections to the proxy host.
 */
class LeakIT {
    private static final int PORT = 7000;
    /** The port of the packets written onto the TUN: their TCP SYN carries no token, the port tells it. */
    private static final int RAW_PORT = 7001;
    private static final String DOMAIN = "leak.test";
    /** Probe kinds that reach the sink directly, each sending a token {@code KIND-RANDOM}. */
    private static final List<String> SINK_KINDS = List.of(
            "tcp4", "tcp6", "udp4", "udp6", "ping4", "ping6", "rawicmp4", "rawicmp6", "dnsudp4", "dnstcp4", "dnsudp6", "dnstcp6", "tun4", "tun6");
    /** Probe kinds to the host's own addresses and loopback: never on any interface of the host. */
    private static final List<String> HOST_KINDS = List.of("lo4", "lo6", "own4", "own6");
    /** TCP and UDP echo on every port given, both families; one "TCP|UDP client data" line each. */
    private static final String SINK_SERVER = String.join("\n",
            "import select, socket, sys",
            "listeners, udp, conns = [], [], {}",
            "for port in map(int, sys.argv[1:]):",
            "    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):",
            "        s = socket.socket(socket.AF_INET6, kind)",
            "        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)",
            "        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "        s.bind(('::', port))",
            "        if kind == socket.SOCK_STREAM: s.listen(64); listeners.append(s)",
            "        else: udp.append(s)",
            "def client(a): return a[0][7:] if a[0].startswith('::ffff:') else a[0]",
            "while True:",
            "    ready, _, _ = select.select(listeners + udp + list(conns), [], [])",
            "    for s in ready:",
            "        if s in listeners:",
            "            c, a = s.accept(); conns[c] = client(a); print('TCP', conns[c], '-', flush=True)",
            "        elif s in udp:",
            "            d, a = s.recvfrom(65535); print('UDP', client(a), d.decode(errors='replace'), flush=True); s.sendto(d, a)",
            "        else:",
            "            try: d = s.recv(65535)",
            "            except OSError: d = b''",
            "            if d: print('TCP', conns[s], d.decode(errors='replace'), flush=True); s.sendall(d)",
            "            else: conns.pop(s); s.close()");
    /** argv: token sink4 sink6 own4 own6; TCP, UDP and raw ICMP probes, one "ok|failed KIND" line each. */
    private static final String PROBES = String.join("\n",
            "import os, socket, struct, sys",
            "tok, sink4, sink6, own4, own6 = sys.argv[1:6]",
            "def stream(kind, host, port, wait):",
            "    s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET); s.settimeout(wait)",
            "    s.connect((host, port)); s.sendall((kind + '-' + tok).encode())",
            "    return s.recv(100) == (kind + '-' + tok).encode()",
            "def datagram(kind, host, port, wait):",
            "    s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(wait)",
            "    s.sendto((kind + '-' + tok).encode(), (host, port))",
            "    return s.recv(100) == (kind + '-' + tok).encode()",
            "def rawicmp(kind, host, port, wait):",
            "    v6 = ':' in host",
            "    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW, 58 if v6 else 1); s.settimeout(wait)",
            "    body = (kind + '-' + tok).encode()",
            "    head = struct.pack('!BBHHH', 128 if v6 else 8, 0, 0, os.getpid() & 0xffff, 1)",
            "    if not v6:",
            "        b = head + body + b'\\0' * (len(body) % 2); c = sum(struct.unpack('!%dH' % (len(b) // 2), b))",
            "        while c >> 16: c = (c & 0xffff) + (c >> 16)",
            "        head = head[:2] + struct.pack('!H', ~c & 0xffff) + head[4:]",
            "    s.sendto(head + body, (host, 0))",
            "    while True:",
            "        d = s.recv(2000)",
            "        if body in d and d[0 if v6 else (d[0] & 15) * 4] == (129 if v6 else 0): return True",
            "probes = [('tcp4', stream, sink4, " + PORT + ", 3), ('tcp6', stream, sink6, " + PORT + ", 3),",
            "          ('udp4', datagram, sink4, " + PORT + ", 3), ('udp6', datagram, sink6, " + PORT + ", 3),",
            "          ('rawicmp4', rawicmp, sink4, 0, 1), ('rawicmp6', rawicmp, sink6, 0, 1)]",
            "for kind, host in (('lo4', '127.0.0.1'), ('lo6', '::1'), ('own4', own4), ('own6', own6)):",
            "    probes += [(kind, stream, host, " + PORT + ", 1), (kind, datagram, host, " + PORT + ", 1)]",
            "for kind, probe, host, port, wait in probes:",
            "    try: print('ok' if probe(kind, host, port, wait) else 'garbled', kind, flush=True)",
            "    except OSError as e: print('failed', kind, e, flush=True)");

    private static ProxyNetwork proxy;
    private static TestNetwork sink;
    private static Process sinkServer;
    private static Process dnsmasq;
    @TempDir
    static Path dir;

    @BeforeAll
    static void createHosts() throws Exception {
        Requirements.requireRoot();
        for (String c : List.of("tcpdump", "dnsmasq", "dig", "ping", "python3")) Requirements.requireCommand(c);
        proxy = ProxyNetwork.start("leakproxy");
        sink = TestNetwork.create("leaksink");
        // A link between the two namespaces: dante's way to the sink, never through the host.
        proxy.net().exec("ip", "link", "add", "tosink", "type", "veth", "peer", "name", "toproxy", "netns", sink.namespace());
        // Else dante's first IPv6 connect to the sink may wait 1-3 s for its neighbour, and the probe gives up at 3.
        TestNetwork.noDuplicateAddressDetection(proxy.net().execPrefix(), "tosink");
        TestNetwork.noDuplicateAddressDetection(sink.execPrefix(), "toproxy");
        proxy.net().exec("ip", "link", "set", "tosink", "up");
        sink.exec("ip", "link", "set", "toproxy", "up");
        proxy.net().exec("ip", "addr", "add", "192.0.2.1/30", "dev", "tosink");
        proxy.net().exec("ip", "-6", "addr", "add", "2001:db8::1/64", "dev", "tosink", "nodad");
        sink.exec("ip", "addr", "add", "192.0.2.2/30", "dev", "toproxy");
        sink.exec("ip", "-6", "addr", "add", "2001:db8::2/64", "dev", "toproxy", "nodad");
        proxy.net().exec("ip", "route", "add", sink.peer4() + "/32", "via", "192.0.2.2");
        proxy.net().exec("ip", "-6", "route", "add", sink.peer6() + "/128", "via", "2001:db8::2");
        sink.exec("ip", "route", "add", proxy.dante().source4() + "/32", "via", "192.0.2.1");
        sink.exec("ip", "-6", "route", "add", proxy.dante().source6() + "/128", "via", "2001:db8::1");
        sinkServer = sink.start("python3", "-u", "-c", SINK_SERVER, Integer.toString(PORT), Integer.toString(RAW_PORT));
        dnsmasq = sink.start("dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                "--listen-address=" + sink.peer4() + "," + sink.peer6(), "--bind-interfaces", "--port=53", "--user=root",
                "--pid-file=" + dir.resolve("dnsmasq.pid"), "--address=/" + DOMAIN + "/" + sink.peer4(), "--log-queries",
                "--log-facility=" + dir.resolve("dnsmasq.log"));
        sink.awaitListening(sinkServer, PORT);
        sink.awaitListening(dnsmasq, 53);
    }

    @AfterAll
    static void removeHosts() throws Exception {
        try {
            if (sink != null) sink.close();
        } finally {
            if (proxy != null) proxy.close();
        }
    }

    /** The positive control: the sink direct, its veth carries every probe kind, so each probe works. */
    @Test
    void withTheSinkDirectEveryProbeReachesIt() throws Exception {
        String token = token();
        try (PacketCapture sinkVeth = PacketCapture.start(sink.hostInterface(), "", dir.resolve("control.pcap"))) {
            NstunProcess p = probe(token, String.join("\n",
                    "rules:",
                    "  - {ip-cidr: [" + sink.peer4() + "/32, \"" + sink.peer6() + "/128\"], outbound: direct}",
                    "  - {outbound: reject}", ""));
            List<Executable> checks = new ArrayList<>();
            for (String kind : SINK_KINDS) {
                checks.add(() -> assertTrue(sinkVeth.contains(kind + "-" + token), kind + " never reached the sink's veth: " + p.describe()));
            }
            checks.add(() -> assertTrue(sinkVeth.count("ip and tcp dst port " + RAW_PORT) > 0, "no TCP SYN written onto the TUN reached the sink"));
            checks.add(() -> assertTrue(sinkVeth.count("ip6 and tcp dst port " + RAW_PORT) > 0, "no IPv6 TCP SYN written onto the TUN reached the sink"));
            for (String kind : List.of("tcp4", "tcp6", "udp4", "udp6", "rawicmp4", "rawicmp6")) {
                checks.add(() -> assertTrue(p.stdout().contains("ok " + kind + "\n"), kind + " got no echo: " + p.describe()));
            }
            assertAll(checks);
        }
    }

    /** Everything through dante: the sink hears dante only, the host's interfaces carry only proxy connections. */
    @Test
    void throughTheProxyTheSinkHearsOnlyTheProxyAndTheHostCarriesNothingElse() throws Exception {
        String token = token();
        String proxyNets = proxy.peer4().substring(0, proxy.peer4().lastIndexOf('.')) + ".0/29 or net "
                + proxy.peer6().substring(0, proxy.peer6().length() - 1) + "/64";
        String sinkLogBefore = sink.log(sinkServer);
        try (PacketCapture any = PacketCapture.start("any", "not (net " + proxyNets + ")", dir.resolve("test.pcap"));
                PacketCapture toProxy = PacketCapture.start("any", "net " + proxyNets, dir.resolve("proxy.pcap"));
                PacketCapture sinkVeth = PacketCapture.start(sink.hostInterface(), "", dir.resolve("sink.pcap"))) {
            NstunProcess p = probe(token, String.join("\n",
                    "outbounds:",
                    "  - " + proxy.dante().outbound("dante", "udp: true"),
                    "rules:",
                    "  - {outbound: dante}", ""));
            String heard = sink.log(sinkServer).substring(sinkLogBefore.length());
            String dns = Files.readString(dir.resolve("dnsmasq.log"));
            List<Executable> checks = new ArrayList<>();
            for (String kind : concat(SINK_KINDS, HOST_KINDS)) {
                checks.add(() -> assertFalse(any.contains(kind + "-" + token), kind + " is on an interface of the host outside the proxy connections"));
            }
            // The same capture, on the proxy connections, sees the tokens: a token on the host's
            // interfaces would have been seen.
            for (String kind : List.of("tcp4", "udp6", "dnsudp4")) {
                checks.add(() -> assertTrue(toProxy.contains(kind + "-" + token), kind + " is not in the connections to dante either"));
            }
            checks.add(() -> assertEquals("", any.packets("host " + sink.peer4() + " or host " + sink.peer6()),
                    "packets to the sink outside the proxy connections"));
            checks.add(() -> assertEquals("", sinkVeth.packets("host " + sink.peer4() + " or host " + sink.peer6()),
                    "packets to the sink on its veth: only dante may reach the sink, over its own link"));
            // The proxy carried the probes it can: the sink heard them, from dante's address only.
            for (String kind : List.of("tcp4", "tcp6", "udp4", "udp6")) {
                checks.add(() -> assertTrue(heard.contains(kind + "-" + token), "the sink never heard " + kind + " through dante: " + heard + p.describe()));
            }
            for (String kind : List.of("dnsudp4", "dnstcp4", "dnsudp6", "dnstcp6")) {
                checks.add(() -> assertTrue(dns.contains(kind + "-" + token), "dnsmasq never heard " + kind + " through dante: " + dns));
            }
            checks.add(() -> assertEquals(List.of(), strangers(heard), "the sink heard someone other than dante: " + heard));
            checks.add(() -> assertEquals(List.of(), dns.lines().filter(l -> l.contains(token) && l.contains(" from "))
                    .map(l -> l.substring(l.lastIndexOf(' ') + 1)).filter(a -> !isDante(a)).toList(), "dnsmasq heard someone other than dante: " + dns));
            assertAll(checks);
        }
    }

    /** Runs every probe in one root command under {@code policy}; returns the finished run. */
    private static NstunProcess probe(String token, String policy) throws Exception {
        Path policyFile = Files.writeString(dir.resolve("policy-" + token + ".yaml"), policy);
        String s4 = sink.peer4();
        String s6 = sink.peer6();
        List<String> script = new ArrayList<>(List.of("python3 -c " + quote(PROBES) + " " + token + " " + s4 + " " + s6 + " " + sink.host4() + " " + sink.host6()));
        script.add("ping -c1 -W1 -p " + hex("ping4-" + token) + " " + s4);
        script.add("ping -6 -c1 -W1 -p " + hex("ping6-" + token) + " " + s6);
        for (String[] dns : new String[][] {{"dnsudp4", s4, "+notcp"}, {"dnstcp4", s4, "+tcp"}, {"dnsudp6", s6, "+notcp"}, {"dnstcp6", s6, "+tcp"}}) {
            script.add("dig +tries=1 +time=1 " + dns[2] + " @" + dns[1] + " " + dns[0] + "-" + token + "." + DOMAIN + " A");
        }
        script.add(RawProbe.command("tun4-" + token, RAW_PORT, 1.0, s4).stream().map(LeakIT::quote).collect(Collectors.joining(" ")));
        script.add(RawProbe.command("tun6-" + token, RAW_PORT, 1.0, s6).stream().map(LeakIT::quote).collect(Collectors.joining(" ")));
        script.add("exit 0");
        NstunProcess p = NstunProcess.start(List.of("env", "-u", "SUDO_UID", "-u", "SUDO_GID"), Map.of(),
                "run", "-p", policyFile.toString(), "--", "sh", "-c", String.join("\n", script));
        p.closeStdin();
        p.await();
        assertEquals(0, p.exitCode(), p.describe());
        return p;
    }

    /** Returns the clients of the sink server's lines that are not dante. */
    private static List<String> strangers(String log) {
        return log.lines().map(l -> l.split(" ")).filter(f -> f.length >= 2).map(f -> f[1]).filter(a -> !isDante(a)).toList();
    }

    /** Whether {@code address} (a literal; anything else is not dante) is one of dante's source addresses. */
    private static boolean isDante(String address) {
        if (!address.matches("[0-9A-Fa-f:.]+")) return false; // never let getByName look a name up
        try {
            InetAddress a = InetAddress.getByName(address);
            return a.equals(InetAddress.getByName(proxy.dante().source4())) || a.equals(InetAddress.getByName(proxy.dante().source6()));
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static String token() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    }

    private static String hex(String ascii) {
        return HexFormat.of().formatHex(ascii.getBytes(StandardCharsets.US_ASCII));
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
