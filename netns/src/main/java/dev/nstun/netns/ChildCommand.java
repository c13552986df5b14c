package dev.nstun.netns;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The argv that turns a fresh child into the wrapped command, using util-linux only. Where nstun's
 * keeper thread has made the child's network and mount namespaces already, one setpriv drops
 * privileges, sets the death signal (the child dies with nstun) and execs the command. Rootless,
 * joining another nstun's namespace, the child does more itself: it dies with nstun from its first
 * instruction (setpriv --pdeathsig), enters that nstun's user, network and mount namespaces
 * (nsenter), goes back to its working directory (env), then drops privileges and execs the command
 * (setpriv again: the death signal is cleared when credentials change, so it is set anew).
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
     * Returns the child's argv where nstun cannot enter the namespaces itself: rootless, joining
     * another nstun's, whose user namespace owns the network namespace and must be entered first (a
     * multithreaded process cannot). The child enters that user namespace, the network namespace and
     * the mount namespace that nstun made for joiners ({@code nsenter}), whose entry moves it to the
     * root: {@code env} takes it back to {@code directory}, if any. Then it runs the command as
     * {@link #argv} does.
     */
    static List<String> argvJoining(String network, Sandbox.Joined joined, Optional<Path> directory, Credentials user, Privilege privilege,
                                    List<String> command) {
        // The user keeps their uid there, so nsenter's exec drops the capabilities its setns gave.
        List<String> argv = new ArrayList<>(List.of("setpriv", "--pdeathsig=KILL", "--",
                "nsenter", "--user=" + joined.userNamespace(), "--net=" + network, "--mount=" + joined.mounts(), "--preserve-credentials", "--"));
        if (directory.isPresent()) argv.addAll(List.of("env", "--chdir=" + directory.get(), "--"));
        argv.add("setpriv");
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
}
