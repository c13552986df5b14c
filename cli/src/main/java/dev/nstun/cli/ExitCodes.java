package dev.nstun.cli;

/** nstun's own exit statuses, as env(1), podman and docker use them; otherwise the command's. */
final class ExitCodes {
    /** nstun itself failed (bad flag, missing privilege, set-up error). */
    static final int NSTUN_FAILED = 125;
    /** The command was found but cannot be executed. */
    static final int CANNOT_EXECUTE = 126;
    /** The command was not found. */
    static final int NOT_FOUND = 127;

    private ExitCodes() {}
}
