package dev.nstun.policies.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code isolate:} of a socks5 outbound: its values, and what it cannot be combined with. */
class IsolateOptionTest {
    private static Policy load(String outbound) throws PolicyException {
        return PolicyLoader.parse("w.yaml", "outbounds:\n  - " + outbound + "\nrules: [{outbound: tor}]\n", Path.of("/etc/nstun"),
                FakeEnvironment.standard());
    }

    private static List<String> problems(String outbound) {
        return assertThrows(PolicyException.class, () -> load(outbound)).problems().stream().map(Problem::toString).toList();
    }

    @Test
    void everyValueReadsAndShowsInTheDescription() throws Exception {
        for (Isolation isolation : Isolation.values()) {
            Outbound.Socks5 tor = (Outbound.Socks5) load("{name: tor, type: socks5, server: 127.0.0.1:9050, isolate: "
                    + isolation.label() + "}").outbound("tor").orElseThrow();
            assertEquals(isolation, tor.isolate());
            assertEquals("socks5 127.0.0.1:9050" + (isolation == Isolation.NONE ? "" : ", isolate " + isolation.label()),
                    tor.describe());
        }
        Outbound.Socks5 plain = (Outbound.Socks5) load("{name: tor, type: socks5, server: 127.0.0.1:9050}").outbound("tor").orElseThrow();
        assertEquals(Isolation.NONE, plain.isolate());
    }

    @Test
    void unknownValueSuggestsTheNearest() {
        assertEquals(List.of("w.yaml:2:64: unknown isolate 'per-destinaton' (expected one of: none, per-run, per-destination, "
                + "per-flow); did you mean 'per-destination'?"),
                problems("{name: tor, type: socks5, server: 127.0.0.1:9050, isolate: per-destinaton}"));
    }

    @Test
    void isolationMakesUpTheCredentialsSoTheOutboundHasNone() {
        assertEquals(List.of("w.yaml:2:90: isolate per-flow makes up a username and password per isolation unit (what Tor's "
                + "IsolateSOCKSAuth separates circuits by): remove username and password, or use isolate: none"),
                problems("{name: tor, type: socks5, server: 127.0.0.1:9050, username: u, password: p, isolate: per-flow}"));
    }

    @Test
    void isolationIsForTcpStreams() {
        assertEquals(List.of("w.yaml:2:75: isolate applies to TCP streams (Tor carries no UDP): remove 'udp: true', or use "
                + "isolate: none"),
                problems("{name: tor, type: socks5, server: 127.0.0.1:9050, udp: true, isolate: per-run}"));
    }

    @Test
    void onlySocks5TakesIt() {
        assertEquals(1, problems("{name: tor, type: http, server: 127.0.0.1:3128, isolate: per-run}").size());
    }
}
