package dev.nstun.policies.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyLoaderTest {
    @TempDir
    Path dir;

    @Test
    void loadsAFileAndReadsPasswordFilesBesideIt() throws Exception {
        Path policyDir = Files.createDirectories(dir.resolve("policies"));
        Files.writeString(policyDir.resolve("corp.pass"), "beside\n");
        Files.writeString(dir.resolve(".home.pass"), "at-home\n");
        Path file = Files.writeString(policyDir.resolve("work.yaml"), """
                outbounds:
                  - {name: a, type: socks5, server: 10.0.0.5:1080, username: u, password-file: corp.pass}
                  - {name: b, type: http, server: 10.0.0.5:3128, username: u, password-file: ~/.home.pass}
                rules: [{outbound: a}]
                """);
        Policy policy = PolicyLoader.load(file, FakeEnvironment.realFilesUnder(dir));
        assertEquals(file.toString(), policy.source());
        Outbound.Socks5 a = (Outbound.Socks5) policy.outbound("a").orElseThrow();
        Outbound.Http b = (Outbound.Http) policy.outbound("b").orElseThrow();
        assertEquals("beside", a.credentials().orElseThrow().password());
        assertEquals("at-home", b.credentials().orElseThrow().password());
    }

    @Test
    void missingFileIsOneProblemWithoutLine() {
        Path file = dir.resolve("nope.yaml");
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(file, FakeEnvironment.realFilesUnder(dir)));
        assertEquals(List.of(new Problem(file.toString(), 0, 0, "cannot read the policy: no such file")), e.problems());
        assertEquals(file + ": cannot read the policy: no such file", e.getMessage());
    }

    @Test
    void fileThatIsNotUtf8IsRefused() throws Exception {
        Path file = Files.write(dir.resolve("latin1.yaml"), new byte[] {'r', 'u', 'l', 'e', 's', ':', ' ', (byte) 0xe9});
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(file, FakeEnvironment.realFilesUnder(dir)));
        assertEquals("cannot read the policy: not UTF-8 text", e.problems().get(0).message());
    }

    @Test
    void oversizedFileIsRefusedBeforeParsing() throws Exception {
        Path file = dir.resolve("huge.yaml");
        Files.write(file, new byte[(int) UserFile.Kind.POLICY.maxBytes() + 1]);
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(file, FakeEnvironment.realFilesUnder(dir)));
        assertEquals(file + ": cannot read the policy: the file is 8388609 bytes; a policy file may have at most 8388608", e.getMessage());
    }

    @Test
    void everyProblemOfAFileIsReportedInLineOrder() {
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.parse("w.yaml", """
                rules:
                  - {domain: example.com, outbound: nowhere}
                  - {port: 0, outbound: direct}
                outbounds:
                  - {name: a, type: socks}
                """, dir, FakeEnvironment.standard()));
        assertEquals(List.of(2, 3, 5), e.problems().stream().map(Problem::line).toList());
    }

    @Test
    void tagsCannotInstantiateAnything() throws Exception {
        Policy policy = PolicyLoader.parse("w.yaml", """
                rules:
                  - {domain: !!javax.script.ScriptEngineManager [example.com], outbound: !custom direct}
                """, dir, FakeEnvironment.standard());
        assertEquals(List.of("example.com"), policy.rules().get(0).domains());
    }

    @Test
    void passwordsStayOutOfToString() throws Exception {
        Policy policy = PolicyLoader.parse("w.yaml", """
                outbounds: [{name: a, type: socks5, server: 10.0.0.5:1080, username: alice, password: hunter2}]
                rules: [{outbound: a}]
                """, dir, FakeEnvironment.standard());
        assertFalse(policy.toString().contains("hunter2"), policy.toString());
        assertTrue(policy.toString().contains("alice"));
    }

    @Test
    void builtInsExistWithoutDeclaration() throws Exception {
        Policy policy = PolicyLoader.parse("w.yaml", "rules: [{outbound: drop}]", dir, FakeEnvironment.standard());
        assertEquals(Set.of("direct", "reject", "drop"), policy.outbounds().keySet());
        assertEquals(DnsSettings.DEFAULT, policy.dns());
        assertEquals("drop", policy.dnsOutbound().name());
    }

    @Test
    void policyInsistsOnAFinalCatchAll() {
        Rule narrow = new Rule(0, List.of("example.com"), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), Set.of(),
                "direct", new Location("w.yaml", 1, 1));
        Map<String, Outbound> builtIns = Map.of("direct", Outbound.builtIns().get(0));
        assertThrows(IllegalArgumentException.class, () -> new Policy("w.yaml", builtIns, List.of(narrow), DnsSettings.DEFAULT));
    }

    @Test
    void problemsPrintLikeCompilerMessages() {
        assertEquals("w.yaml:7:5: unknown key", new Problem("w.yaml", 7, 5, "unknown key").toString());
        assertEquals("w.yaml: no such file", new Problem("w.yaml", 0, 0, "no such file").toString());
    }
}
