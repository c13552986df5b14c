package dev.nstun.policies.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;

/** Reads the {@code dns} map: mode, upstream, via. */
final class DnsReader {
    static final List<String> KEYS = List.of("mode", "upstream", "via");
    private static final List<String> MODES = List.of("fake-ip", "forward");
    private static final Map<String, String> HINTS = Map.of(
            "enhanced-mode", "did you mean 'mode'? (clash's 'enhanced-mode')",
            "nameserver", "did you mean 'upstream'? (one server, e.g. upstream: tcp://9.9.9.9:53)",
            "servers", "did you mean 'upstream'? (one server, e.g. upstream: tcp://9.9.9.9:53)",
            "server", "did you mean 'upstream'? (e.g. upstream: tcp://9.9.9.9:53)",
            "detour", "did you mean 'via'? (sing-box's 'detour')",
            "outbound", "did you mean 'via'?");

    /**
     * The dns section as read: the settings when all of it was valid, and the nodes the
     * cross-checks point at (absent when the file has no such key).
     */
    record Draft(Optional<DnsSettings> settings, Optional<Node> section, Optional<Node> modeNode, Optional<Node> upstreamNode,
                 Optional<Node> viaNode) {
        static final Draft DEFAULT = new Draft(Optional.of(DnsSettings.DEFAULT), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    private final Nodes nodes;
    private final Problems problems;

    DnsReader(Nodes nodes) {
        this.nodes = nodes;
        this.problems = nodes.problems();
    }

    Draft read(Node section) {
        Optional<MappingNode> map = nodes.map(section, "a map such as {mode: fake-ip, upstream: tcp://9.9.9.9:53, via: corp}");
        if (map.isEmpty()) {
            return new Draft(Optional.empty(), Optional.of(section), Optional.empty(), Optional.empty(), Optional.empty());
        }
        int before = problems.count();
        Map<String, NodeTuple> entries = nodes.entries(map.get());
        nodes.rejectUnknownKeys(entries, "dns", KEYS, HINTS);
        Optional<Node> modeNode = Nodes.value(entries, "mode");
        DnsSettings.Mode mode = modeNode.flatMap(this::mode).orElse(DnsSettings.DEFAULT.mode());
        Optional<Node> upstreamNode = Nodes.value(entries, "upstream");
        DnsSettings.Upstream upstream = upstreamNode.flatMap(this::upstream).orElse(DnsSettings.DEFAULT.upstream());
        Optional<Node> viaNode = Nodes.value(entries, "via");
        Optional<String> via = viaNode.flatMap(n -> nodes.text(n, "the name of an outbound for 'via'"));
        Optional<DnsSettings> settings = problems.count() == before ? Optional.of(new DnsSettings(mode, upstream, via))
                : Optional.empty();
        return new Draft(settings, Optional.of(section), modeNode, upstreamNode, viaNode);
    }

    private Optional<DnsSettings.Mode> mode(Node node) {
        Optional<String> text = nodes.text(node, "fake-ip or forward for 'mode'");
        if (text.isEmpty()) {
            return Optional.empty();
        }
        for (DnsSettings.Mode mode : DnsSettings.Mode.values()) {
            if (mode.label().equals(text.get())) {
                return Optional.of(mode);
            }
        }
        String hint = text.get().equalsIgnoreCase("redir-host")
                ? "; 'redir-host' is not supported: forward comes closest (flows then carry addresses)"
                : Suggest.didYouMean(text.get(), MODES);
        problems.add(node, "invalid dns mode " + Nodes.quote(text.get()) + " (expected fake-ip or forward)" + hint);
        return Optional.empty();
    }

    private Optional<DnsSettings.Upstream> upstream(Node node) {
        Optional<String> text = nodes.text(node, "a server for 'upstream', e.g. tcp://9.9.9.9:53");
        if (text.isEmpty()) {
            return Optional.empty();
        }
        String t = text.get();
        try {
            return Optional.of(DnsSettings.Upstream.parse(t, Optional.empty()));
        } catch (IllegalArgumentException e) {
            problems.add(node, "invalid upstream " + Nodes.quote(t) + ": " + e.getMessage());
            return Optional.empty();
        }
    }
}
