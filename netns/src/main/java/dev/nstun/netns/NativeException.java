package dev.nstun.netns;

import java.io.IOException;

/** A system call failed: carries the errno so callers can tell EPERM from ENOENT. */
public final class NativeException extends IOException {
    private static final long serialVersionUID = 1L;
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EACCES = 13;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;

    private final int errno;

    public NativeException(String what, int errno) {
        super(what + ": " + LibC.INSTANCE.strerror(errno));
        this.errno = errno;
    }

    /** Throws for the calling thread's last error. */
    static NativeException last(String what) {
        return new NativeException(what, LibC.errno());
    }

    public int errno() {
        return errno;
    }
}
