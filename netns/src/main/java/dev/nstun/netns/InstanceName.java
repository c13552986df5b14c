package dev.nstun.netns;

import java.util.regex.Pattern;

/**
 * The name of a long-lived namespace ({@code nstun up NAME}), checked once here: it becomes a file
 * name under {@code /run/netns}, {@code /etc/netns} and nstun's registry, and a systemd instance
 * name ({@code nstun@NAME.service}), so it is 1 to 32 letters, digits, '-' and '_', starting with a
 * letter or digit: no '/', no '.', nothing a shell or systemd would escape.
 */
public record InstanceName(String value) {
    private static final Pattern SYNTAX = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,31}");

    public InstanceName {
        if (!SYNTAX.matcher(value).matches()) {
            throw new IllegalArgumentException("'" + value + "' is not a namespace name: 1 to 32 letters, digits, '-' or '_',"
                    + " starting with a letter or digit");
        }
    }

    /** Returns whether {@code text} is a valid name. */
    public static boolean isValid(String text) {
        return SYNTAX.matcher(text).matches();
    }

    @Override
    public String toString() {
        return value;
    }
}
