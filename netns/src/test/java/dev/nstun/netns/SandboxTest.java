package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link Sandbox#processesIn}: what close and the keeper kill is every process of a namespace, and only those. */
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
}
