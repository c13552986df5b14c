package dev.nstun.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Whom a wrapped command runs as: the options {@code run} and {@code exec} share (a mixin). */
final class CommandOptions {
    private final OptionSpec user = OptionSpec.builder("-u", "--user").paramLabel("NAME").type(String.class)
            .description("Run COMMAND as this user (default: the user who ran sudo; root if started as root without sudo)."
                    + " Only root itself may name another user.").build();
    private final OptionSpec rootInside = CommandModel.flag("Run COMMAND as root of a user namespace of its own (uid 0 inside,"
            + " like unshare -r), for tools that insist on root; it can do no more than the user it maps to, and cannot undo nstun's"
            + " resolver files.", "--root-inside");

    /** Adds the options to {@code command}. */
    void addTo(CommandSpec command) {
        command.addOption(user).addOption(rootInside);
    }

    /** Returns -u NAME, or null. */
    String user() {
        return user.getValue();
    }

    /** Returns whether --root-inside was given. */
    boolean rootInside() {
        return rootInside.getValue();
    }
}
