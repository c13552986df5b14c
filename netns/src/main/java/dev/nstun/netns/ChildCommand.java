package dev.nstun.netns;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The argv that turns a fresh child into the wrapped command, using util-linux only. Where nstun's
 * keeper thread has made the child's network and mount namespaces already, one setpriv drops
 * privileges, sets the death signal (the child dies with nstun) and execs the command. Rootless,
 * joining another nstun's namespace, the child does more itself: it dies with nstun from its first
 * instruction (setpriv --pdeathsig), enters the user and network namespaces (nsenter), gets a
 * private mount namespace (unshare) where child-setup.sh mounts its resolver files, then drops
 * privileges and execs the command (setpriv again: the death signal is cleared when credentials
 * change, so it is set anew).
 */
final class ChildCommand {

    private ChildCommand() {}

    /** What the command may do besides being {@link Credentials who} it runs as. */
    enum Privilege {
        /** Root's own command, run as root by root: it keeps root's capabilities. */
        KEEP,
        /**
         * No capability, and no way to gain one (no_new_privs): when it runs as another user, and
         * rootless, where the capabilities nstun holds in its user namespace would let the command
         * undo its resolver files.
         */
        DROP,
        /**
         * {@link #DROP}, and in a user namespace of its own that maps only the user (under sudo: the
         * command is then not in the host's user namespace, where a process of the same user in the
         * host's mount namespace would let it see, through {@code /proc/PID/root}, the files nstun's
         * mounts hide, the host resolver's sockets among them). Supplementary groups stay the
         * user's, shown as the overflow group inside.
         */
        DROP_NESTED,
        /**
         * Root of a user namespace of its own, nested in nstun's (uid 0 inside, like {@code unshare
         * -r}), with the capabilities that gives over it, for tools that insist on being root. Its
         * own mount namespace, made from the less privileged namespace, locks every mount it
         * inherits (the resolver files stay), and the network namespace stays nstun's.
         */
        MAPPED_ROOT
    }

    /**
     * Returns the child's argv when the calling thread has made its namespaces already (entered the
     * network namespace, mounted the resolver files: {@link CommandMounts}): one exec of setpriv
     * runs the command as {@code user} with {@code privilege}, dying with nstun (a privilege that
     * nests a user namespace adds util-linux's unshare and another setpriv).
     */
    static List<String> argv(Credentials user, Privilege privilege, List<String> command) {
        List<String> argv = new ArrayList<>(List.of("setpriv"));
        addDrop(argv, user, privilege, command);
        return argv;
    }

    /**
     * Returns the child's argv where nstun cannot make its namespaces itself: rootless, joining
     * another nstun's, whose user namespace owns the network namespace and must be entered first (a
     * multithreaded process cannot). The child enters both ({@code nsenter}), makes its mount
     * namespace ({@code unshare}), where child-setup.sh mounts {@code resolvConf} and {@code
     * nsswitchConf} (empty: the host has none), then runs the command as {@link #argv} does.
     */
    static List<String> argvJoiningUserNamespace(Sandbox.Entry entry, String resolvConf, Optional<String> nsswitchConf, Credentials user,
                                                 Privilege privilege, List<String> command) {
        if (entry.userNamespace().isEmpty()) throw new IllegalArgumentException("no user namespace to join");
        // The user keeps their uid there, and an exec would take the capabilities setns gave: a user
        // namespace of the child's own, nested in it, gives them for the mount namespace (the network
        // namespace stays out of reach).
        List<String> argv = new ArrayList<>(List.of("setpriv", "--pdeathsig=KILL", "--",
                "nsenter", "--user=" + entry.userNamespace().get(), "--net=" + entry.network(), "--preserve-credentials", "--",
                "unshare", "--user", "--map-current-user", "--keep-caps", "--mount", "--propagation", "private", "--",
                "/bin/sh", "-c", SetupScript.TEXT, "nstun-setup", resolvConf, nsswitchConf.orElse(""), "setpriv"));
        addDrop(argv, user, privilege, command);
        return argv;
    }

    /** Adds setpriv's options that make the command {@code user} with {@code privilege}, then the command. */
    private static void addDrop(List<String> argv, Credentials user, Privilege privilege, List<String> command) {
        if (!user.unchanged()) {
            argv.add("--reuid=" + user.uid());
            argv.add("--regid=" + user.gid());
            argv.add(user.userName() != null ? "--init-groups" : "--clear-groups");
        }
        if (privilege != Privilege.KEEP) {
            // The bounding set stays: with no_new_privs no exec can raise a capability anyway, and an
            // emptied one makes the kernel refuse to run programs with file capabilities (Debian's
            // ping), which then work unprivileged (ICMP echo sockets, see Sandbox).
            argv.addAll(List.of("--no-new-privs", "--inh-caps=-all", "--ambient-caps=-all"));
        }
        if (privilege == Privilege.DROP_NESTED) {
            // Making a user namespace changes credentials, which clears the death signal: set anew inside.
            argv.addAll(List.of("--pdeathsig=KILL", "--", "unshare", "--user", "--map-current-user", "--", "setpriv"));
        }
        if (privilege == Privilege.MAPPED_ROOT) {
            // Making a user namespace changes credentials, which clears the death signal: set anew inside.
            argv.addAll(List.of("--pdeathsig=KILL", "--", "unshare", "--user", "--map-root-user", "--mount", "--", "setpriv"));
        }
        // Set after the credentials change (setpriv does it last), which would clear it.
        argv.add("--pdeathsig=KILL");
        argv.add("--");
        argv.addAll(command);
    }

    /** child-setup.sh, read from the jar when first needed. */
    private static final class SetupScript {
        static final String TEXT = loadScript();
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
