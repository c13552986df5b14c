package dev.nstun.policies.rules;

import dev.nstun.policies.config.FakeEnvironment;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PolicyException;
import dev.nstun.policies.config.PolicyLoader;
import java.nio.file.Path;

/** Policies from YAML text, for tests. */
final class Policies {
    private Policies() {
    }

    /** Loads {@code yaml} as file work.yaml, failing the test with all problems if it does not load. */
    static Policy of(String yaml) {
        try {
            return PolicyLoader.parse("work.yaml", yaml, Path.of("/etc/nstun"), FakeEnvironment.standard());
        } catch (PolicyException e) {
            throw new AssertionError("policy does not load:\n" + e.getMessage(), e);
        }
    }
}
