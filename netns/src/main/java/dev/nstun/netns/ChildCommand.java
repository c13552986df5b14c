package dev.nstun.netns;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The argv that turns a fresh child into the wrapped command, using util-linux only: the child
 * dies with nstun from its first instruction (setpriv --pdeathsig), gets a private mount namespace
 * (unshare) where child-setup.sh mounts its resolver files, then drops privileges and execs the
 * command (setpriv again: the death signal is cleared when credentials change, so it is set anew).
 */
final class ChildCommand {
    private static final String SETUP_SCRIPT = loadScript();

    private ChildCommand() {}

    static List<String> argv(String resolvConf, Credentials user, List<String> command) {
        List<String> argv = new ArrayList<>(List.of(
                "setpriv", "--pdeathsig=KILL", "--",
                "unshare", "--mount", "--propagation", "private", "--",
                "/bin/sh", "-c", SETUP_SCRIPT, "nstun-setup", resolvConf,
                "setpriv"));
        if (!user.unchanged()) {
            argv.add("--reuid=" + user.uid());
            argv.add("--regid=" + user.gid());
            argv.add(user.userName() != null ? "--init-groups" : "--clear-groups");
            argv.addAll(List.of("--no-new-privs", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"));
        }
        argv.add("--pdeathsig=KILL");
        argv.add("--");
        argv.addAll(command);
        return argv;
    }

    private static String loadScript() {
        try (InputStream in = ChildCommand.class.getResourceAsStream("child-setup.sh")) {
            if (in == null) throw new IllegalStateException("child-setup.sh missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
