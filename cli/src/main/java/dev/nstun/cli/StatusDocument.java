package dev.nstun.cli;

import dev.nstun.cli.json.JsonWriter;
import dev.nstun.stack.StackSnapshot;
import dev.nstun.stack.flow.FlowId;
import dev.nstun.stack.flow.FlowSnapshot;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a run's control socket answers to {@code status}: the run, its live flows (the stack's
 * snapshot joined by flow with the rule and outbound the {@link RunReport} heard for it) and its
 * counters, as one JSON document. {@code nstun status --json} prints it as it comes; the field names
 * below are its documented form.
 *
 * <pre>
 * {"run": {"pid", "id", "command": [..], "policy": path|null, "uptimeMillis"},
 *  "flows": [{"protocol": "tcp"|"udp"|"icmp", "source": "ip:port", "destination": "ip:port", "name": name|null,
 *             "rule": "rule N"|"no policy"|null, "outbound": name|null, "state", "bytesUp", "bytesDown", "ageMillis"}],
 *  "counters": {"routes": [{"protocol", "rule", "outbound", "flows", "bytesUp", "bytesDown"}],
 *               "refused": {REASON: n}, "drops": {REASON: n}, "echoDrops": {REASON: n},
 *               "dns": {"ANSWERED_HERE", "FORWARDED", "SERVFAIL"}, "packetsIn", "packetsOut"}}
 * </pre>
 * A route's bytes are those of its flows that have ended; a live flow's are in its own entry. An
 * ICMP echo (ping) flow's source reads "ip id IDENTIFIER" and its destination "ip"; its bytes are
 * the echo payloads.
 */
final class StatusDocument {
    /** The run as {@code status} names it. */
    record RunInfo(long pid, String id, List<String> command, Optional<Path> policy, long startNanos) {}

    private StatusDocument() {}

    /** Returns the document for {@code run} at {@code nowNanos}, from the stack's {@code snapshot} and the dialer side's {@code report}. */
    static String of(RunInfo run, StackSnapshot snapshot, RunReport report, long nowNanos) {
        JsonWriter json = new JsonWriter().beginObject();
        json.name("run").beginObject()
                .name("pid").value(run.pid())
                .name("id").value(run.id())
                .name("command").beginArray();
        run.command().forEach(json::value);
        json.endArray()
                .name("policy").value(run.policy().map(Path::toString).orElse(null))
                .name("uptimeMillis").value((nowNanos - run.startNanos()) / 1_000_000)
                .endObject();
        json.name("flows").beginArray();
        for (FlowSnapshot f : snapshot.flows()) {
            FlowId id = f.id();
            Optional<RunReport.Route> route = report.routeOf(id);
            json.beginObject()
                    .name("protocol").value(id.protocol().name().toLowerCase(Locale.ROOT))
                    .name("source").value(id.protocol() == FlowId.Protocol.ICMP ? host(id.source()) + " id " + id.sourcePort()
                            : address(id.source(), id.sourcePort()))
                    .name("destination").value(id.protocol() == FlowId.Protocol.ICMP ? host(id.destination())
                            : address(id.destination(), id.destinationPort()))
                    .name("name").value(id.destinationName().orElse(null))
                    .name("rule").value(route.map(RunReport.Route::rule).orElse(null))
                    .name("outbound").value(route.map(RunReport.Route::outbound).orElse(null))
                    .name("state").value(f.state())
                    .name("bytesUp").value(f.bytesToUpstream())
                    .name("bytesDown").value(f.bytesFromUpstream())
                    .name("ageMillis").value(f.ageNanos() / 1_000_000)
                    .endObject();
        }
        json.endArray();
        json.name("counters").beginObject().name("routes").beginArray();
        for (RunReport.RouteTotals t : report.routeTotals()) {
            json.beginObject()
                    .name("protocol").value(t.route().protocol().name().toLowerCase(Locale.ROOT))
                    .name("rule").value(t.route().rule())
                    .name("outbound").value(t.route().outbound())
                    .name("flows").value(t.flows())
                    .name("bytesUp").value(t.bytesToUpstream())
                    .name("bytesDown").value(t.bytesFromUpstream())
                    .endObject();
        }
        json.endArray().name("refused").beginObject();
        report.refusals().forEach((reason, n) -> json.name(reason.name()).value(n));
        json.endObject();
        counts(json, "drops", snapshot.drops());
        counts(json, "echoDrops", snapshot.echoDrops());
        json.name("dns").beginObject();
        for (String kind : List.of("ANSWERED_HERE", "FORWARDED", "SERVFAIL")) json.name(kind).value(snapshot.dns().getOrDefault(kind, 0L));
        json.endObject()
                .name("packetsIn").value(snapshot.packetsIn())
                .name("packetsOut").value(snapshot.packetsOut())
                .endObject();
        return json.endObject().toString();
    }

    /** Returns the answer to a request the socket does not know. */
    static String unknownRequest(String request) {
        return new JsonWriter().beginObject().name("error").value("unknown request '" + request + "' (known: status)").endObject().toString();
    }

    /** Returns the answer when the run could not say: {@code why}. */
    static String error(String why) {
        return new JsonWriter().beginObject().name("error").value(why).endObject().toString();
    }

    private static void counts(JsonWriter json, String name, Map<String, Long> counts) {
        json.name(name).beginObject();
        counts.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> json.name(e.getKey()).value(e.getValue()));
        json.endObject();
    }

    private static String address(InetAddress a, int port) {
        String host = host(a);
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static String host(InetAddress a) {
        return a.getHostAddress();
    }
}
