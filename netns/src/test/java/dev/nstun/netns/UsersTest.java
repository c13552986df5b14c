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

    @Test
    void lookupsOnManyThreadsAtOnceEachGetTheirOwnUser() throws Exception {
        String[] names = {"root", "nobody"};
        java.util.List<Thread> threads = new java.util.ArrayList<>();
        java.util.concurrent.ConcurrentLinkedQueue<String> wrong = new java.util.concurrent.ConcurrentLinkedQueue<>();
        for (int t = 0; t < 8; t++) {
            String name = names[t % 2];
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 500; i++) {
                    Credentials got = Users.byName(name);
                    if (got == null || !name.equals(got.userName())) wrong.add(name + " -> " + got);
                }
            }));
        }
        for (Thread t : threads) t.join();
        assertEquals(java.util.List.of(), java.util.List.copyOf(wrong), "lookups that came back with another user");
    }

    private static String output(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", argv) + ": " + out);
        return out;
    }
}
