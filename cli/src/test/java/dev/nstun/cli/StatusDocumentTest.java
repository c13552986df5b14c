package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.cli.json.JsonWriter;
import dev.nstun.netns.InstanceName;
import dev.nstun.netns.RunRegistry;
import dev.nstun.stack.StackSnapshot;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowSnapshot;
import dev.nstun.stack.flow.UdpUpstream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the control socket answers to {@code status}, how {@code nstun status} shows it, and which run a TARGET means. */
class StatusDocumentTest {
    private static final long MS = 1_000_000L;

    @Test
    void theDocumentJoinsEachFlowWithItsRouteAndCarriesTheCounters() throws Exception {
        RunReport report = new RunReport();
        FlowId web = new FlowId(FlowId.Protocol.TCP, InetAddress.getByName("198.18.0.1"), 40000, InetAddress.getByName("198.18.1.4"), 443);
        report.around(connectingDialer()).connectTcp(web.withDestinationName("example.com"));
        FlowId dns = new FlowId(FlowId.Protocol.UDP, InetAddress.getByName("fd4e:5354:554e::1"), 5353, InetAddress.getByName("2001:db8::53"), 53);
        StackSnapshot snapshot = new StackSnapshot(List.of(
                new FlowSnapshot(web.withDestinationName("example.com"), "ESTABLISHED", 120, 4096, 2500 * MS),
                new FlowSnapshot(dns, "OPEN", 40, 0, 3 * MS)),
                Map.of("GROUP_DESTINATION", 2L), Map.of(), Map.of("ANSWERED_HERE", 3L, "FORWARDED", 1L, "SERVFAIL", 0L), 10, 9);
        StatusDocument.RunInfo run = new StatusDocument.RunInfo(4242, "4242.77", List.of("sh", "-c", "echo \"hi\"\tthere"),
                Optional.of(Path.of("/etc/nstun/work.yaml")), 0);

        String json = StatusDocument.of(run, snapshot, report, 61_000 * MS);

        assertEquals("{\"run\":{\"pid\":4242,\"id\":\"4242.77\",\"command\":[\"sh\",\"-c\",\"echo \\\"hi\\\"\\tthere\"],"
                + "\"policy\":\"/etc/nstun/work.yaml\",\"uptimeMillis\":61000},"
                + "\"flows\":[{\"protocol\":\"tcp\",\"source\":\"198.18.0.1:40000\",\"destination\":\"198.18.1.4:443\",\"name\":\"example.com\","
                + "\"rule\":\"no policy\",\"outbound\":\"direct\",\"state\":\"ESTABLISHED\",\"bytesUp\":120,\"bytesDown\":4096,\"ageMillis\":2500},"
                + "{\"protocol\":\"udp\",\"source\":\"[fd4e:5354:554e:0:0:0:0:1]:5353\",\"destination\":\"[2001:db8:0:0:0:0:0:53]:53\",\"name\":null,"
                + "\"rule\":null,\"outbound\":null,\"state\":\"OPEN\",\"bytesUp\":40,\"bytesDown\":0,\"ageMillis\":3}],"
                + "\"counters\":{\"routes\":[{\"protocol\":\"tcp\",\"rule\":\"no policy\",\"outbound\":\"direct\",\"flows\":1,\"bytesUp\":0,\"bytesDown\":0}],"
                + "\"refused\":{\"REJECTED_BY_RULE\":0,\"DROPPED_BY_RULE\":0,\"UDP_TO_PROXY_WITHOUT_UDP\":0,\"FAKE_ADDRESS_WITHOUT_NAME\":0,"
                + "\"NSTUN_ADDRESS\":0,\"NEVER_DIALED\":0,\"FAILED\":0},"
                + "\"drops\":{\"GROUP_DESTINATION\":2},\"echoDrops\":{},\"dns\":{\"ANSWERED_HERE\":3,\"FORWARDED\":1,\"SERVFAIL\":0},"
                + "\"packetsIn\":10,\"packetsOut\":9}}", json);

        Map<String, Object> doc = StatusView.parse(json);
        assertEquals(List.of("sh", "-c", "echo \"hi\"\tthere"), ((Map<?, ?>) doc.get("run")).get("command"), "the escapes read back");
        List<String> lines = StatusView.render(doc, StatusView.Sort.AGE, 10);
        assertEquals("nstun 4242: sh -c echo \"hi\"\\x09there  (-p /etc/nstun/work.yaml)  up 1m01s  2 live flows", lines.get(0),
                "a control character escaped for the terminal");
        assertEquals(List.of(
                "PROTO  SOURCE                           DESTINATION                   RULE       OUTBOUND     UP     DOWN  AGE  STATE",
                "tcp    198.18.0.1:40000                 198.18.1.4:443 (example.com)  no policy  direct    120 B  4.0 KiB   2s  ESTABLISHED",
                "udp    [fd4e:5354:554e:0:0:0:0:1]:5353  [2001:db8:0:0:0:0:0:53]:53    -          -          40 B      0 B  3ms  OPEN",
                "flows: tcp no policy → direct: 1 flow",
                "dropped packets: group destination 2",
                "dns answers: 3 here, 1 forwarded, 0 servfail"), lines.subList(1, lines.size()));
        assertTrue(StatusView.render(doc, StatusView.Sort.BYTES, 1).contains("… and 1 more"), "rows beyond the screen are counted");
    }

    @Test
    void whatADocumentSaysReachesTheTerminalEscapedAndWhatItLacksIsNoFailure() {
        List<String> lines = StatusView.render(StatusView.parse("{\"run\": {\"command\": [\"\\u001b]0;pwned\\u0007\"]},"
                + " \"flows\": [{\"name\": \"\\u001b[2Jx.example\", \"bytesUp\": \"many\"}, 7], \"counters\": {\"drops\": {\"1\": 2}}}"),
                StatusView.Sort.BYTES, 10);
        String all = String.join("\n", lines);
        assertTrue(all.contains("\\x1b]0;pwned\\x07") && all.contains("(\\x1b[2Jx.example)"), all);
        assertTrue(all.chars().noneMatch(c -> c < 0x20 && c != '\n'), "control characters: " + all);
        assertTrue(all.contains("dropped packets: 1 2"), all);
    }

    @Test
    void anErrorAnswerOrNonJsonIsNoStatus() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StatusView.parse(StatusDocument.error("ending")));
        assertEquals("the run says: ending", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StatusView.parse("[1, 2"));
        assertEquals("{\"error\":\"unknown request 'stats' (known: status)\"}", StatusDocument.unknownRequest("stats"));
    }

    @Test
    void aTargetIsARunsPidOrNameAndNoTargetMeansTheOnlyLiveRun() {
        RunRegistry.Run one = new RunRegistry.Run("10.1", 10, "net:[1]", Optional.empty(), Optional.empty(), Optional.empty());
        RunRegistry.Run two = new RunRegistry.Run("20.1", 20, "net:[2]", Optional.of(Path.of("/w.yaml")), Optional.empty(),
                Optional.of(new InstanceName("work")));
        assertEquals(new RunTargets.Found(one), RunTargets.resolve(List.of(one), Optional.empty(), "nstun status", false));
        assertEquals(new RunTargets.Found(two), RunTargets.resolve(List.of(one, two), Optional.of("20"), "nstun status", false));
        assertEquals(new RunTargets.Found(two), RunTargets.resolve(List.of(one, two), Optional.of("work"), "nstun status", false));
        assertEquals(new RunTargets.Ambiguous("nstun: 2 runs are live; name one: nstun status PID|NAME (live: 10, 20 work -p /w.yaml)"),
                RunTargets.resolve(List.of(one, two), Optional.empty(), "nstun status", false));
        assertEquals(new RunTargets.NoRun("nstun: no live run is 30 (live: 10)"), RunTargets.resolve(List.of(one), Optional.of("30"), "nstun status", false));
        assertEquals(new RunTargets.NoRun("nstun: no live nstun run of this user's (root's runs are visible to root only: try sudo)"),
                RunTargets.resolve(List.of(), Optional.empty(), "nstun top", false));
        assertEquals(new RunTargets.NoRun("nstun: no live nstun run"), RunTargets.resolve(List.of(), Optional.empty(), "nstun top", true));
    }

    /** A dialer whose TCP connects succeed at once (with a channel never connected: nothing is sent). */
    private static Dialer connectingDialer() {
        return new Dialer() {
            @Override
            public UdpUpstream openUdp(FlowId flow) {
                throw new AssertionError("no UDP here");
            }

            @Override
            public SocketChannel connectTcp(FlowId flow) throws IOException {
                return SocketChannel.open();
            }
        };
    }
}
