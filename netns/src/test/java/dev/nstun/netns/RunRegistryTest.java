package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunRegistryTest {
    @Test
    void liveRunsCarryTheirPolicyAndTheirLastReload(@TempDir Path dir) throws Exception {
        RunRegistry registry = new RunRegistry(dir);
        String me = RunRegistry.newRunId();
        registry.record(me, "net:[4026532000]", Optional.of(Path.of("/etc/nstun/work.yaml")), Optional.of(registry.controlSocket(me)));
        registry.record("1.999999999", "net:[4026532001]"); // pid 1 did not start at that tick: not alive

        List<RunRegistry.Run> live = registry.live();
        assertEquals(1, live.size(), live.toString());
        assertEquals(ProcessHandle.current().pid(), live.get(0).pid());
        assertEquals("net:[4026532000]", live.get(0).namespaceId());
        assertEquals(Optional.of(Path.of("/etc/nstun/work.yaml")), live.get(0).policy());
        assertEquals(Optional.of(dir.resolve(me + ".d").resolve("control").toAbsolutePath()), live.get(0).control());

        assertTrue(registry.lastReload(me).isEmpty());
        registry.recordReload(me, new RunRegistry.ReloadOutcome(2, false, List.of("policy NOT reloaded", "f.yaml:2:3: unknown key")));
        RunRegistry.ReloadOutcome outcome = registry.lastReload(me).orElseThrow();
        assertEquals(2, outcome.sequence());
        assertFalse(outcome.ok());
        assertEquals(List.of("policy NOT reloaded", "f.yaml:2:3: unknown key"), outcome.lines());

        registry.forget(me);
        assertTrue(registry.live().isEmpty());
        assertFalse(Files.exists(dir.resolve(me + ".reloaded")));
    }

    @Test
    void aRecordNamesNoControlSocketOutsideItsRun(@TempDir Path dir) throws Exception {
        RunRegistry registry = new RunRegistry(dir);
        String me = RunRegistry.newRunId();
        registry.record(me, "net:[4026532000]", Optional.empty(), Optional.of(Path.of("/run/elsewhere.sock")));
        assertEquals(Optional.empty(), registry.live().get(0).control());
    }

    @Test
    void staleRecordsOfTheOldOneLineFormatAreStillCleaned(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("1.999999999.run"), "net:[4026532002]\n");
        RunRegistry registry = new RunRegistry(dir);
        Path sockets = Files.createDirectories(registry.runtimeDirectory("1.999999999"));
        Files.writeString(sockets.resolve("dns.sock"), "");
        assertEquals(0, registry.cleanStale());
        assertFalse(Files.exists(dir.resolve("1.999999999.run")));
        assertFalse(Files.exists(sockets), "a killed run's socket directory goes too");
    }

    @Test
    void aNameIsClaimedOnceAndAClaimWhoseNstunIsGoneIsTakenOver(@TempDir Path dir) throws Exception {
        RunRegistry registry = new RunRegistry(dir);
        InstanceName name = new InstanceName("work");
        String me = RunRegistry.newRunId();
        registry.claim(name, me);
        assertTrue(registry.instance(name).isEmpty(), "claimed, not yet published");
        RunRegistry.NameTaken taken = assertThrows(RunRegistry.NameTaken.class, () -> registry.claim(name, "1.999999999"));
        assertTrue(taken.getMessage().contains("being set up"), taken.getMessage());

        Sandbox.Entry entry = new Sandbox.Entry("/proc/" + ProcessHandle.current().pid() + "/fd/0", Optional.empty());
        registry.publish(name, me, "net:[4026532003]", "-p /etc/nstun/work.yaml", Instant.ofEpochMilli(1000), entry);
        RunRegistry.Instance instance = registry.instance(name).orElseThrow();
        assertEquals(ProcessHandle.current().pid(), instance.pid());
        assertEquals("net:[4026532003]", instance.namespaceId());
        assertEquals("-p /etc/nstun/work.yaml", instance.policy());
        assertEquals(Instant.ofEpochMilli(1000), instance.started());
        assertEquals(Optional.empty(), instance.entry().joined());
        assertEquals(List.of(instance), registry.instances());
        assertEquals(Optional.of(instance), assertThrows(RunRegistry.NameTaken.class, () -> registry.claim(name, "1.999999999")).owner());

        registry.release(name);
        assertTrue(registry.instances().isEmpty());
        // A claim whose nstun is gone (pid 1 did not start at that tick) is cleaned up and taken.
        registry.claim(name, "1.999999999");
        assertTrue(Files.isDirectory(dir.resolve("work")));
        registry.claim(name, me);
        registry.cleanStale();
        assertTrue(Files.isDirectory(dir.resolve("work")), "a live claim stays");
        // The draft of a claim whose nstun was killed before its rename goes with the next clean-up.
        Files.writeString(Files.createDirectory(dir.resolve(".other.1.999999999")).resolve("instance"), "run 1.999999999\n");
        registry.cleanStale();
        assertFalse(Files.exists(dir.resolve(".other.1.999999999")));
        registry.release(name);
        assertEquals(List.of(), Files.list(dir).toList(), "nothing left but what was released");
    }

    @Test
    void aRootlessNamespaceIsJoinedThroughLinksToItsUserAndMountNamespaces(@TempDir Path dir) throws Exception {
        RunRegistry registry = new RunRegistry(dir);
        InstanceName name = new InstanceName("mine");
        String me = RunRegistry.newRunId();
        registry.claim(name, me);
        String self = "/proc/" + ProcessHandle.current().pid();
        Sandbox.Joined joined = new Sandbox.Joined(self + "/ns/user", self + "/ns/mnt");
        registry.publish(name, me, "net:[4026532003]", "", Instant.ofEpochMilli(1000), new Sandbox.Entry(self + "/ns/net", Optional.of(joined)));
        Sandbox.Joined read = registry.instance(name).orElseThrow().entry().joined().orElseThrow();
        assertAll(
                () -> assertEquals(dir.resolve("mine/user").toString(), read.userNamespace()),
                () -> assertEquals(dir.resolve("mine/mnt").toString(), read.mounts()),
                () -> assertEquals(Path.of(self + "/ns/user"), Files.readSymbolicLink(Path.of(read.userNamespace()))),
                () -> assertEquals(Path.of(self + "/ns/mnt"), Files.readSymbolicLink(Path.of(read.mounts()))));
        registry.release(name);
        assertEquals(List.of(), Files.list(dir).toList(), "nothing left but what was released");
    }

    @Test
    void aNameIsAFileNameOfLettersDigitsDashesAndUnderscores() {
        assertTrue(InstanceName.isValid("vpn-2_work"));
        for (String bad : List.of("", "-x", "a/b", "a.b", "..", "a b", "x".repeat(33))) {
            assertThrows(IllegalArgumentException.class, () -> new InstanceName(bad), bad);
        }
    }
}
