package dev.nstun.cli;

import java.util.Map;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * nstun's own exit statuses, as env(1), podman and docker use them; otherwise the command's. Every
 * command exits {@link #NSTUN_FAILED} for a bad option and for a policy file that cannot be read or
 * has problems, so that {@code check}, {@code explain}, {@code reload} and {@code run} agree (and
 * {@code run}'s own status cannot be mistaken for its command's). {@link #HEADING} and
 * {@link #FAILED_ENTRY} go into each command's exit code list ({@link #list}), shown by its help and man page.
 */
final class ExitCodes {
    /** nstun itself failed (bad option, invalid policy, missing privilege, set-up error). */
    static final int NSTUN_FAILED = 125;
    /** The command was found but cannot be executed. */
    static final int CANNOT_EXECUTE = 126;
    /** The command was not found. */
    static final int NOT_FOUND = 127;
    /** {@code check --probe}: the file is valid but a proxy or the DNS upstream failed its check. */
    static final int PROBE_FAILED = 1;
    /** {@code status}, {@code top}: no live run (none at all, or none that TARGET names). */
    static final int NO_RUN = 3;

    /** The heading of the help section that lists a command's exit statuses. */
    static final String HEADING = "%nExit status:%n";
    /** The entry every command shares. */
    static final String FAILED_ENTRY = "125:nstun's own failure: a bad option, a policy file that cannot be read or has problems"
            + " (each printed), or another error it names";

    private ExitCodes() {}

    /** A command's exit code list from entries "CODE:meaning", in the order given. */
    static Map<String, String> list(String... entries) {
        return UsageMessageSpec.keyValuesMap(entries);
    }
}
