package dev.nstun.policies.outbound;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.config.Isolation;
import dev.nstun.policies.config.Location;
import dev.nstun.policies.config.Outbound;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * {@code isolate} on a socks5 outbound, on the wire: a SOCKS5 server that accepts any
 * username/password and records what it is sent (as Tor, with IsolateSOCKSAuth, keys circuits by
 * them) sees distinct credentials per destination, per flow, or one set per run, as the outbound
 * says; and none at all without isolation.
 */
class StreamIsolationTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final List<String> DESTINATIONS = List.of("a.example:443", "b.example:443", "a.example:80", "A.Example:443",
            "192.0.2.7:443", "c.example:443");

    /** What the server saw of one CONNECT: the credentials ("-" without authentication) and the destination. */
    record Seen(String credentials, String destination) {
    }

    /** A SOCKS5 server that takes no authentication or any username/password, records both, and grants every CONNECT. */
    private static FakeProxy recording(List<Seen> seen) throws Exception {
        return FakeProxy.start(p -> {
            p.expect("05");
            byte[] methods = p.read(p.read(1)[0]);
            boolean password = new String(methods, StandardCharsets.ISO_8859_1).indexOf(2) >= 0;
            String credentials = "-";
            if (password) {
                p.send("05 02").expect("01");
                String user = new String(p.read(p.read(1)[0] & 0xff), StandardCharsets.UTF_8);
                String pass = new String(p.read(p.read(1)[0] & 0xff), StandardCharsets.UTF_8);
                credentials = user + ":" + pass;
                p.send("01 00");
            } else {
                p.send("05 00");
            }
            p.expect("05 01 00");
            int type = p.read(1)[0];
            String host = switch (type) {
                case 3 -> new String(p.read(p.read(1)[0] & 0xff), StandardCharsets.UTF_8);
                case 1 -> InetAddress.getByAddress(p.read(4)).getHostAddress();
                default -> InetAddress.getByAddress(p.read(16)).getHostAddress();
            };
            int port = ((p.read(1)[0] & 0xff) << 8) | (p.read(1)[0] & 0xff);
            seen.add(new Seen(credentials, host + ":" + port));
            p.send("05 00 00 01 7f000001 1f90");
        });
    }

    /** Connects once to each destination through an outbound with {@code isolation}, and returns what the server saw. */
    private static List<Seen> connectAll(Isolation isolation, StreamIsolation run) throws Exception {
        List<Seen> seen = new CopyOnWriteArrayList<>();
        try (FakeProxy proxy = recording(seen)) {
            Outbound.Socks5 tor = new Outbound.Socks5("tor", proxy.address(), Optional.empty(), false, isolation, TIMEOUT,
                    Location.nowhere("(test)"));
            Socks5Client client = new Socks5Client(tor.server(), tor.credentials(), tor.isolate(), run, TIMEOUT);
            for (String d : DESTINATIONS) {
                int colon = d.lastIndexOf(':');
                client.connect(Destination.of(d.substring(0, colon), Integer.parseInt(d.substring(colon + 1)))).close();
            }
        }
        assertEquals(DESTINATIONS.size(), seen.size(), "one CONNECT per destination: " + seen);
        return seen;
    }

    private static String credentialsFor(List<Seen> seen, int i) {
        return seen.get(i).credentials();
    }

    @Test
    void perDestinationGivesEachHostItsOwnCredentialsAndTheSameHostTheSameOnes() throws Exception {
        List<Seen> seen = connectAll(Isolation.PER_DESTINATION, new StreamIsolation(StreamIsolation.newSecret()));
        assertAll(
                () -> assertEquals(4, seen.stream().map(Seen::credentials).distinct().count(), "a.example, b.example, 192.0.2.7, "
                        + "c.example and nothing else: " + seen),
                () -> assertEquals(credentialsFor(seen, 0), credentialsFor(seen, 2), "a.example on another port: " + seen),
                () -> assertEquals(credentialsFor(seen, 0), credentialsFor(seen, 3), "a.example in other case: " + seen),
                () -> assertNotEquals(credentialsFor(seen, 0), credentialsFor(seen, 1), seen.toString()),
                () -> assertTrue(seen.stream().allMatch(s -> s.credentials().matches("[0-9a-f]{32}:[0-9a-f]{32}")),
                        "128-bit tokens, nothing about the destination in clear: " + seen));
    }

    @Test
    void perFlowGivesEveryConnectionNewCredentials() throws Exception {
        List<Seen> seen = connectAll(Isolation.PER_FLOW, new StreamIsolation(StreamIsolation.newSecret()));
        assertEquals(DESTINATIONS.size(), seen.stream().map(Seen::credentials).distinct().count(), seen.toString());
    }

    @Test
    void perRunSharesOneSetWithinARunAndNoneWithAnotherRun() throws Exception {
        List<Seen> one = connectAll(Isolation.PER_RUN, new StreamIsolation(StreamIsolation.newSecret()));
        List<Seen> other = connectAll(Isolation.PER_RUN, new StreamIsolation(StreamIsolation.newSecret()));
        assertAll(
                () -> assertEquals(1, one.stream().map(Seen::credentials).distinct().count(), one.toString()),
                () -> assertNotEquals(one.get(0).credentials(), other.get(0).credentials()));
    }

    @Test
    void perDestinationCredentialsDifferBetweenRuns() throws Exception {
        List<Seen> one = connectAll(Isolation.PER_DESTINATION, new StreamIsolation(StreamIsolation.newSecret()));
        List<Seen> other = connectAll(Isolation.PER_DESTINATION, new StreamIsolation(StreamIsolation.newSecret()));
        assertNotEquals(one.get(0).credentials(), other.get(0).credentials(), "the same destination in two runs");
    }

    @Test
    void noneSendsNoCredentials() throws Exception {
        List<Seen> seen = connectAll(Isolation.NONE, StreamIsolation.RUN);
        assertTrue(seen.stream().allMatch(s -> s.credentials().equals("-")), seen.toString());
    }

    @Test
    void anOutboundOfThePolicyIsolatesThroughConnectors() throws Exception {
        List<Seen> seen = new CopyOnWriteArrayList<>();
        try (FakeProxy proxy = recording(seen)) {
            Outbound.Socks5 tor = new Outbound.Socks5("tor", proxy.address(), Optional.empty(), false, Isolation.PER_DESTINATION,
                    TIMEOUT, Location.nowhere("(test)"));
            Connectors connectors = new Connectors();
            connectors.connect(tor, Destination.of("a.example", 443)).close();
            connectors.connect(tor, Destination.of("b.example", 443)).close();
        }
        assertEquals(List.of("a.example:443", "b.example:443"), seen.stream().map(Seen::destination).toList());
        assertNotEquals(seen.get(0).credentials(), seen.get(1).credentials(), seen.toString());
        assertEquals(HexFormat.of().formatHex(new byte[16]).length(), seen.get(0).credentials().indexOf(':'));
    }
}
