package dev.nstun.policies.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nstun.policies.config.FakeEnvironment;
import dev.nstun.policies.config.Network;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PolicyException;
import dev.nstun.policies.config.PolicyLoader;
import dev.nstun.policies.rules.FlowKey;
import dev.nstun.policies.rules.RuleMatcher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The policy loader against any text (YAML bombs, merge cycles, deep nesting, wrong types), and
 * against any rule-set file in each format it names: it returns a policy or throws
 * {@link PolicyException} with at least one problem, and nothing else; libFuzzer's per-input
 * timeout catches one that does not terminate when fuzzing.
 *
 * <p>Without {@code JAZZER_FUZZ=1} the target runs only its committed inputs (under
 * {@code PolicyLoaderFuzzTestInputs/} in the test resources); {@code bench/fuzz} fuzzes it.
 */
class PolicyLoaderFuzzTest {

    @FuzzTest
    void policy(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        try {
            PolicyLoader.parse("fuzz.yaml", text, Path.of("/etc/nstun"), FakeEnvironment.standard());
        } catch (PolicyException e) {
            if (e.problems().isEmpty()) throw new AssertionError("a PolicyException with no problem", e);
        }
    }

    private static final String RULE_SETS = """
            rule-sets:
              - {name: classical, file: set, format: clash}
              - {name: domain, file: set, format: clash, behavior: domain}
              - {name: ipcidr, file: set, format: clash, behavior: ipcidr}
              - {name: hosts, file: set, format: hosts}
            rules:
              - {rule-set: [classical, domain, ipcidr, hosts], outbound: reject}
            """;

    @FuzzTest
    void ruleSet(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        try {
            Policy policy = PolicyLoader.parse("fuzz.yaml", RULE_SETS, Path.of("/etc/nstun"),
                    FakeEnvironment.standard().withFile("/etc/nstun/set", text));
            RuleMatcher.of(policy).match(FlowKey.ofDomain("www.example.com", 443, Network.TCP));
        } catch (PolicyException e) {
            if (e.problems().isEmpty()) throw new AssertionError("a PolicyException with no problem", e);
        }
    }
}
