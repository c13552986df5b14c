package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The struct passwd read through {@link LibC} against what getent(1) and id(1) print for the same users. */
class UsersTest {
    @Test
    void byNameReadsTheUserDatabaseAsGetentDoes() throws Exception {
        for (String name : new String[] {"root", "nobody"}) {
            String[] want = output("getent", "passwd", name).strip().split(":");
            Credentials got = Users.byName(name);
            assertNotNull(got, name + ": got no user, want " + String.join(":", want));
            assertEquals(want[0], got.userName(), name + ": name");
            assertEquals(Integer.parseInt(want[2]), got.uid(), name + ": uid");
            assertEquals(Integer.parseInt(want[3]), got.gid(), name + ": gid");
            assertEquals(want[5], got.home(), name + ": home");
        }
    }

    @Test
    void byNameTakesANumericUid() throws Exception {
        String[] want = output("getent", "passwd", "nobody").strip().split(":");
        Credentials got = Users.byName(want[2]);
        assertNotNull(got, "uid " + want[2]);
        assertEquals("nobody", got.userName());
    }

    @Test
    void byNameOfAnUnknownUserIsNull() {
        assertNull(Users.byName("nstun-no-such-user"));
    }

    @Test
    void uidsAreTheProcessOwn() throws Exception {
        int euid = Integer.parseInt(output("id", "-u").strip());
        assertEquals(euid, Users.effectiveUid());
        assertEquals(euid, Users.invokingUid(Map.of()));
    }

    @Test
    void invokerUnderSudoIsLookedUpByUid() throws Exception {
        String[] nobody = output("getent", "passwd", "nobody").strip().split(":");
        Credentials got = Users.invoker(Map.of("SUDO_UID", nobody[2], "SUDO_GID", nobody[3]));
        if (Users.effectiveUid() != 0) {
            assertEquals(Credentials.UNCHANGED, got, "not root: sudo's variables are not ours to trust");
            return;
        }
        assertEquals(new Credentials(Integer.parseInt(nobody[2]), Integer.parseInt(nobody[3]), "nobody", nobody[5]), got);
    }

    private static String output(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", argv) + ": " + out);
        return out;
    }
}
