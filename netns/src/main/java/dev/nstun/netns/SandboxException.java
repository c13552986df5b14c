package dev.nstun.netns;

/** The sandbox could not be set up; the message says what to do about it. */
public final class SandboxException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why, coarsely: callers map these to exit codes and hints. */
    public enum Kind { NO_PRIVILEGE, NO_TUN, FAILED }

    private final Kind kind;

    public SandboxException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** Turns a failed system call into an actionable message. */
    static SandboxException of(String what, NativeException e) {
        boolean rootless = !Privileges.inInitialUserNamespace();
        return switch (e.errno()) {
            case NativeException.EACCES -> new SandboxException(Kind.NO_PRIVILEGE, "cannot " + what + " (" + e.getMessage() + "): "
                    + (rootless ? "this user may not open /dev/net/tun: 'nstun doctor' says how to allow it" : "run nstun with sudo"), e);
            case NativeException.EPERM -> new SandboxException(Kind.NO_PRIVILEGE, "cannot " + what + " (" + e.getMessage() + "): "
                    + (rootless ? "the kernel refused it in nstun's user namespace (a security module such as AppArmor?):"
                            + " 'nstun doctor' checks what is missing, or run nstun with sudo"
                            : "nstun needs CAP_SYS_ADMIN and CAP_NET_ADMIN; run it with sudo"), e);
            case NativeException.ENOENT, NativeException.ENODEV -> new SandboxException(Kind.NO_TUN,
                    "cannot " + what + " (" + e.getMessage() + "): the kernel has no TUN support here; load it with 'sudo modprobe tun'", e);
            default -> new SandboxException(Kind.FAILED, "cannot " + what + ": " + e.getMessage(), e);
        };
    }
}
