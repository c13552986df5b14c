package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ChildCommandTest {

    @Test
    void rootKeepsItsIdentityButStillDiesWithNstun() {
        List<String> argv = ChildCommand.argv(Credentials.UNCHANGED, ChildCommand.Privilege.KEEP, List.of("curl", "-v"));
        assertEquals(List.of("setpriv", "--pdeathsig=KILL", "--", "curl", "-v"), argv);
    }

    @Test
    void rootlessTheCommandKeepsItsUidButNoCapability() {
        List<String> argv = ChildCommand.argv(Credentials.UNCHANGED, ChildCommand.Privilege.DROP, List.of("id"));
        assertEquals(List.of("setpriv", "--no-new-privs", "--inh-caps=-all", "--ambient-caps=-all", "--pdeathsig=KILL", "--", "id"), argv);
    }

    @Test
    void mappedRootIsRootOfANestedUserNamespaceWithMountsOfItsOwn() {
        List<String> argv = ChildCommand.argv(Credentials.UNCHANGED, ChildCommand.Privilege.MAPPED_ROOT, List.of("id"));
        assertEquals(List.of("setpriv", "--no-new-privs", "--inh-caps=-all", "--ambient-caps=-all", "--pdeathsig=KILL", "--",
                "unshare", "--user", "--map-root-user", "--mount", "--", "setpriv", "--pdeathsig=KILL", "--", "id"), argv);
    }

    @Test
    void underSudoTheUserIsNestedInAUserNamespaceOfItsOwn() {
        List<String> argv = ChildCommand.argv(new Credentials(1000, 1000, "alice", "/home/alice"), ChildCommand.Privilege.DROP_NESTED, List.of("id"));
        assertEquals(List.of("setpriv", "--reuid=1000", "--regid=1000", "--init-groups", "--no-new-privs", "--inh-caps=-all",
                "--ambient-caps=-all", "--pdeathsig=KILL", "--", "unshare", "--user", "--map-current-user", "--", "setpriv",
                "--pdeathsig=KILL", "--", "id"), argv);
    }

    @Test
    void anotherUserLosesEveryPrivilege() {
        List<String> argv = ChildCommand.argv(new Credentials(1000, 1000, "alice", "/home/alice"), ChildCommand.Privilege.DROP, List.of("id"));
        assertEquals(List.of("setpriv", "--reuid=1000", "--regid=1000", "--init-groups", "--no-new-privs",
                "--inh-caps=-all", "--ambient-caps=-all", "--pdeathsig=KILL", "--", "id"), argv);
    }

    @Test
    void aUidWithoutPasswdEntryGetsNoSupplementaryGroups() {
        List<String> argv = ChildCommand.argv(new Credentials(4242, 4242, null, null), ChildCommand.Privilege.DROP, List.of("id"));
        assertTrue(argv.contains("--clear-groups"));
        assertFalse(argv.contains("--init-groups"));
    }

    @Test
    void rootlessJoiningAnotherNstunsNamespaceEntersItsThreeNamespacesAndGoesBackToItsDirectory() {
        Sandbox.Joined joined = new Sandbox.Joined("/run/user/1000/nstun/vpn/user", "/run/user/1000/nstun/vpn/mnt");
        List<String> argv = ChildCommand.argvJoining("/run/user/1000/nstun/vpn/net", joined, Optional.of(Path.of("/home/alice/src")),
                Credentials.UNCHANGED, ChildCommand.Privilege.DROP, List.of("id"));
        assertEquals(List.of("setpriv", "--pdeathsig=KILL", "--",
                "nsenter", "--user=/run/user/1000/nstun/vpn/user", "--net=/run/user/1000/nstun/vpn/net", "--mount=/run/user/1000/nstun/vpn/mnt",
                "--preserve-credentials", "--",
                "env", "--chdir=/home/alice/src", "--",
                "setpriv", "--no-new-privs", "--inh-caps=-all", "--ambient-caps=-all", "--pdeathsig=KILL", "--", "id"), argv);
    }

    @Test
    void aDirectoryOutOfTheUsersReachLeavesTheCommandAtTheRoot() {
        List<String> argv = ChildCommand.argvJoining("/run/user/1000/nstun/vpn/net", new Sandbox.Joined("u", "m"), Optional.empty(),
                Credentials.UNCHANGED, ChildCommand.Privilege.DROP, List.of("id"));
        assertEquals(List.of("--preserve-credentials", "--", "setpriv"), argv.subList(7, 10));
    }
}
