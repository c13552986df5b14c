package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChildCommandTest {
    @Test
    void rootKeepsItsIdentityButStillDiesWithNstun() {
        List<String> argv = ChildCommand.argv("nameserver 198.18.0.2\n", Credentials.UNCHANGED, List.of("curl", "-v"));
        assertEquals(List.of("setpriv", "--pdeathsig=KILL", "--"), argv.subList(0, 3));
        int second = argv.lastIndexOf("setpriv");
        assertEquals(List.of("setpriv", "--pdeathsig=KILL", "--", "curl", "-v"), argv.subList(second, argv.size()));
        assertTrue(argv.contains("nameserver 198.18.0.2\n"));
        assertFalse(argv.stream().anyMatch(a -> a.startsWith("--reuid")));
    }

    @Test
    void anotherUserLosesEveryPrivilege() {
        List<String> argv = ChildCommand.argv("", new Credentials(1000, 1000, "alice", "/home/alice"), List.of("id"));
        List<String> drop = argv.subList(argv.lastIndexOf("setpriv"), argv.size());
        assertEquals(List.of("setpriv", "--reuid=1000", "--regid=1000", "--init-groups", "--no-new-privs",
                "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--pdeathsig=KILL", "--", "id"), drop);
    }

    @Test
    void aUidWithoutPasswdEntryGetsNoSupplementaryGroups() {
        List<String> argv = ChildCommand.argv("", new Credentials(4242, 4242, null, null), List.of("id"));
        assertTrue(argv.contains("--clear-groups"));
        assertFalse(argv.contains("--init-groups"));
    }
}
