package dev.nstun.policies.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The complete example of docs/policy.md loads, so the documentation cannot drift from the loader. */
class DocsExampleTest {
    private static final Path DOC = Path.of("../docs/policy.md");

    @Test
    void completeExampleLoads() throws Exception {
        String doc = Files.readString(DOC);
        int start = doc.indexOf("```yaml\n") + "```yaml\n".length();
        String example = doc.substring(start, doc.indexOf("```", start));
        Policy policy = PolicyLoader.parse("example.yaml", example, Path.of("/etc/nstun"),
                FakeEnvironment.standard().withVariable("WEB_PROXY_PASSWORD", "pw"));
        assertEquals(5, policy.rules().size());
        assertEquals("corp", policy.dnsOutbound().name());
    }
}
