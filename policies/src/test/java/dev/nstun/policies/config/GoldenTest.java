package dev.nstun.policies.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden files: each {@code golden/<case>.yaml} is loaded (as file {@code <case>.yaml}, in
 * /etc/nstun, with {@link FakeEnvironment#standard()}) and the result compared with
 * {@code <case>.expected}: the exact problem lines for a bad file, {@link PolicyDump} for a good one.
 * Run with {@code -Dgolden.update=true} to rewrite the expected files, then review the diff.
 */
class GoldenTest {
    private static final Path DIR = Path.of("src/test/resources/golden");
    private static final boolean UPDATE = Boolean.getBoolean("golden.update");

    @TestFactory
    Stream<DynamicTest> goldenFiles() throws IOException {
        List<Path> cases;
        try (Stream<Path> files = Files.list(DIR)) {
            cases = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(cases.size() > 20, "golden cases found in " + DIR.toAbsolutePath() + ": " + cases.size());
        return cases.stream().map(yaml -> DynamicTest.dynamicTest(yaml.getFileName().toString(), () -> check(yaml)));
    }

    private static void check(Path yaml) throws IOException {
        String fileName = yaml.getFileName().toString();
        String actual = outcome(fileName, Files.readString(yaml));
        Path expectedFile = yaml.resolveSibling(fileName.replaceFirst("\\.yaml$", ".expected"));
        if (UPDATE) {
            Files.writeString(expectedFile, actual);
            return;
        }
        assertTrue(Files.exists(expectedFile), "missing " + expectedFile + "; run with -Dgolden.update=true");
        assertEquals(Files.readString(expectedFile), actual, fileName);
    }

    /** Returns what loading gives, as the .expected files hold it. */
    static String outcome(String fileName, String text) {
        try {
            Policy policy = PolicyLoader.parse(fileName, text, Path.of("/etc/nstun"), FakeEnvironment.standard());
            return PolicyDump.dump(policy);
        } catch (PolicyException e) {
            return e.problems().stream().map(Problem::toString).collect(Collectors.joining("\n", "", "\n"));
        }
    }
}
