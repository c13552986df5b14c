package dev.nstun.netns;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The argv that turns a fresh child into the wrapped command, using util-linux only: the child
 * dies with nstun from its first instruction (setpriv --pdeathsig), enters the network namespace
 * nstun made (nsenter, through nstun's fd on it), gets a private mount namespace (unshare) where
 * child-setup.sh mounts its resolver files, then drops privileges and execs the command (setpriv
 * again: the death signal is cleared when credentials change, so it is set anew).
 */
final class ChildCommand {
    private static final String SETUP_SCRIPT = loadScript();

    private ChildCommand() {}

    /**
     * Returns the child's argv. {@code namespace} is a path to the network namespace (nstun's fd on
     * it under /proc). With {@code dropPrivileges} the command keeps no capability and cannot gain
     * one (no_new_privs): always when it runs as another user, and rootless, where the capabilities
     * nstun holds in its user namespace would let the command undo its resolver files.
     */
    static List<String> argv(String namespace, String resolvConf, Credentials user, boolean dropPrivileges, List<String> command) {
        List<String> argv = new ArrayList<>(List.of(
                "setpriv", "--pdeathsig=KILL", "--",
                "nsenter", "--net=" + namespace, "--",
                "unshare", "--mount", "--propagation", "private", "--",
                "/bin/sh", "-c", SETUP_SCRIPT, "nstun-setup", resolvConf,
                "setpriv"));
        if (!user.unchanged()) {
            argv.add("--reuid=" + user.uid());
            argv.add("--regid=" + user.gid());
            argv.add(user.userName() != null ? "--init-groups" : "--clear-groups");
        }
        if (dropPrivileges || !user.unchanged()) {
            // The bounding set stays: with no_new_privs no exec can raise a capability anyway, and an
            // emptied one makes the kernel refuse to run programs with file capabilities (Debian's
            // ping), which then work unprivileged (ICMP echo sockets, see Sandbox).
            argv.addAll(List.of("--no-new-privs", "--inh-caps=-all", "--ambient-caps=-all"));
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
