package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Sandbox#processesIn}: what close and the keeper kill is every process of a namespace, and
 * only those; and what a rootless join says when the namespace it joins recorded no mount namespace.
 */
class SandboxTest {
    @Test
    void processesInFindsThisProcessInItsOwnNamespace() throws Exception {
        long[] found = Sandbox.processesIn(NetworkNamespace.currentId());
        long self = ProcessHandle.current().pid();
        assertTrue(Arrays.stream(found).anyMatch(pid -> pid == self), "this pid " + self + " among " + Arrays.toString(found));
    }

    @Test
    void processesInMatchesTheWholeName() throws Exception {
        String id = NetworkNamespace.currentId();
        assertEquals(0, Sandbox.processesIn(id.substring(0, id.length() - 1)).length, "a prefix of " + id);
    }

    @Test
    void processesInFindsNothingInANamespaceNoProcessHas() {
        assertEquals(0, Sandbox.processesIn("net:[1]").length);
    }

    @Test
    void joiningANamespaceWithoutAMountNamespaceForJoinersSaysToRestartIt(@TempDir Path dir) {
        String self = "/proc/" + ProcessHandle.current().pid();
        Sandbox.Entry olderUp = new Sandbox.Entry(self + "/ns/net", Optional.of(new Sandbox.Joined(self + "/ns/user", dir.resolve("mnt").toString())));
        Sandbox.Spec spec = new Sandbox.Spec(null, "nameserver 198.18.0.2\n", Credentials.UNCHANGED, false, List.of("true"), Map.of(), null);
        try (Sandbox sandbox = Sandbox.join(olderUp, spec)) {
            SandboxException e = assertThrows(SandboxException.class, sandbox::launch);
            assertTrue(e.getMessage().contains("older nstun") && e.getMessage().contains("nstun down, then nstun up"), e.getMessage());
        }
    }
}
