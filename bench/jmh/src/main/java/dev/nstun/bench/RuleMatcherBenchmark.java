package dev.nstun.bench;

import dev.nstun.policies.config.Environment;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PolicyLoader;
import dev.nstun.policies.rules.FlowKey;
import dev.nstun.policies.rules.Match;
import dev.nstun.policies.rules.RuleMatcher;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-flow rule matching against a large policy (domain suffixes, keywords and CIDRs mixed, the
 * final rule last), next to the linear baseline: checking every rule in order with Rule.matches;
 * and the per-query question of the fake-IP resolver, whether every flow to a name is rejected.
 * With {@code setEntries} above 0 the policy starts with a rule naming a clash rule set of that
 * many entries (names, suffixes and prefixes) read from a file, and a quarter of the flows go to
 * names of the set: compare with {@code setEntries=0} for what the set costs a flow.
 * {@code loadPolicy} is what a start or a reload costs: reading the policy and its set files and
 * building the matcher.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class RuleMatcherBenchmark {
    @Param({"100", "10000"})
    int rules;

    @Param({"0", "100000"})
    int setEntries;

    /** The policy and rule-set files the benchmark writes, removed when it ends. */
    private Path dir;
    private Path policyFile;
    private Policy policy;
    private RuleMatcher matcher;
    private FlowKey[] flows;
    private String[] names;
    private byte[][] addresses;
    private int next;

    @TearDown
    public void removeFiles() throws Exception {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) Files.delete(f);
        }
        Files.delete(dir);
    }

    @Setup
    public void setUp() throws Exception {
        Random random = new Random(7);
        dir = Files.createTempDirectory("nstun-bench");
        StringBuilder yaml = new StringBuilder();
        if (setEntries > 0) {
            StringBuilder set = new StringBuilder("payload:\n");
            for (int i = 0; i < setEntries; i++) {
                switch (i % 4) {
                    case 0, 1 -> set.append("  - DOMAIN-SUFFIX,s").append(i).append(".example.net\n");
                    case 2 -> set.append("  - DOMAIN,s").append(i).append(".example.net\n");
                    default -> set.append("  - IP-CIDR,172.").append(16 + random.nextInt(16)).append('.').append(random.nextInt(256))
                            .append('.').append(random.nextInt(64) * 4).append("/30\n");
                }
            }
            Files.writeString(dir.resolve("big.yaml"), set);
            yaml.append("rule-sets:\n  - {name: big, file: big.yaml, format: clash}\n");
        }
        yaml.append("rules:\n");
        if (setEntries > 0) {
            yaml.append("  - {rule-set: big, outbound: reject}\n");
        }
        for (int i = 0; i < rules; i++) {
            switch (i % 3) {
                case 0 -> yaml.append("  - {domain-suffix: [d").append(i).append(".example.com], outbound: reject}\n");
                case 1 -> yaml.append("  - {domain-keyword: [kw").append(i).append("x], outbound: reject}\n");
                default -> yaml.append("  - {ip-cidr: [10.").append(random.nextInt(256)).append('.').append(random.nextInt(256))
                        .append(".0/24], outbound: reject}\n");
            }
        }
        yaml.append("  - {outbound: direct}\n");
        policyFile = Files.writeString(dir.resolve("bench.yaml"), yaml);
        policy = PolicyLoader.load(policyFile, Environment.system());
        matcher = RuleMatcher.of(policy);
        flows = new FlowKey[1024];
        names = new String[1024];
        addresses = new byte[1024][];
        for (int i = 0; i < flows.length; i++) {
            if (i % 4 == 2) {
                // Names a set would hold (one in four suffixes listed when there is a set of that size).
                names[i] = "www.s" + 4 * random.nextInt(100_000 / 4) + ".example.net";
                flows[i] = FlowKey.ofDomain(names[i], 443, Network.TCP);
            } else if (i % 2 == 0) {
                names[i] = "www.d" + random.nextInt(rules * 2) + ".example.com";
                flows[i] = FlowKey.ofDomain(names[i], 443, Network.TCP);
            } else {
                addresses[i] = new byte[] {10, (byte) random.nextInt(256), (byte) random.nextInt(256), 9};
                flows[i] = FlowKey.ofAddress(InetAddress.getByAddress(addresses[i]), 443, Network.TCP);
            }
        }
    }

    @Benchmark
    public Match indexed() {
        return matcher.match(flows[next++ & 1023]);
    }

    /** What nstun's fake-IP resolver asks per query: does any flow to this name get past the rules? */
    @Benchmark
    public Object refusingName() {
        return matcher.refusingRule(names[(next++ & 511) * 2]);
    }

    /** Reading the policy and its set file and building the matcher: what a start or a SIGHUP reload costs. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 3, batchSize = 1)
    @Measurement(iterations = 5, batchSize = 1)
    public RuleMatcher loadPolicy() throws Exception {
        return RuleMatcher.of(PolicyLoader.load(policyFile, Environment.system()));
    }

    @Benchmark
    public Object linear() {
        int i = next++ & 1023;
        for (var rule : policy.rules()) {
            if (rule.matches(names[i], addresses[i], 443, Network.TCP)) return rule;
        }
        return null;
    }
}
