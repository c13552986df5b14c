package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ChildCommandTest {
    private static final String NS = "/proc/4711/fd/9";
    private static final Sandbox.Entry OWN = new Sandbox.Entry(NS, Optional.empty());

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
    void rootlessJoiningAnotherNstunsNamespaceEntersItsUserNamespaceFirstAndMountsFromOneOfItsOwn() {
        Sandbox.Entry joined = new Sandbox.Entry("/run/user/1000/nstun/vpn/net", Optional.of("/run/user/1000/nstun/vpn/user"));
        List<String> argv = ChildCommand.argvJoiningUserNamespace(joined, "", Optional.empty(), Credentials.UNCHANGED, ChildCommand.Privilege.DROP,
                List.of("id"));
        assertEquals(List.of("setpriv", "--pdeathsig=KILL", "--",
                "nsenter", "--user=/run/user/1000/nstun/vpn/user", "--net=/run/user/1000/nstun/vpn/net", "--preserve-credentials", "--",
                "unshare", "--user", "--map-current-user", "--keep-caps", "--mount", "--propagation", "private", "--", "/bin/sh"),
                argv.subList(0, 17));
        assertEquals(List.of("setpriv", "--no-new-privs", "--inh-caps=-all", "--ambient-caps=-all", "--pdeathsig=KILL", "--", "id"),
                argv.subList(argv.lastIndexOf("setpriv"), argv.size()));
    }

    @Test
    void theNsswitchTextFollowsTheResolvConfsAndEmptyMeansNone() {
        Sandbox.Entry joined = new Sandbox.Entry("/run/user/1000/nstun/vpn/net", Optional.of("/run/user/1000/nstun/vpn/user"));
        List<String> with = ChildCommand.argvJoiningUserNamespace(joined, "r", Optional.of("n"), Credentials.UNCHANGED, ChildCommand.Privilege.DROP,
                List.of("id"));
        List<String> without = ChildCommand.argvJoiningUserNamespace(joined, "r", Optional.empty(), Credentials.UNCHANGED,
                ChildCommand.Privilege.DROP, List.of("id"));
        assertEquals(List.of("nstun-setup", "r", "n"), with.subList(with.indexOf("nstun-setup"), with.indexOf("nstun-setup") + 3));
        assertEquals(List.of("nstun-setup", "r", ""), without.subList(without.indexOf("nstun-setup"), without.indexOf("nstun-setup") + 3));
    }

    @Test
    void withoutAUserNamespaceToJoinTheShellPathIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ChildCommand.argvJoiningUserNamespace(OWN, "r", Optional.empty(),
                Credentials.UNCHANGED, ChildCommand.Privilege.DROP, List.of("id")));
    }
}
