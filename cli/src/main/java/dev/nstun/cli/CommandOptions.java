package dev.nstun.cli;

import picocli.CommandLine.Option;

/** Whom a wrapped command runs as: the options {@code run} and {@code exec} share (a mixin). */
final class CommandOptions {
    @Option(names = {"-u", "--user"}, paramLabel = "NAME",
            description = "Run COMMAND as this user (default: the user who ran sudo; root if started as root without sudo)."
                    + " Only root itself may name another user.")
    String user;

    @Option(names = "--root-inside",
            description = "Run COMMAND as root of a user namespace of its own (uid 0 inside, like unshare -r), for tools that insist"
                    + " on root; it can do no more than the user it maps to, and cannot undo nstun's resolver files.")
    boolean rootInside;
}
