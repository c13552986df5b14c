package dev.nstun.stack.flow;

import java.io.IOException;
import java.util.Objects;

/** A dial failed for the {@link #failure() reason} the dialer decided; the message is one line for the log. */
public class DialException extends IOException {
    private static final long serialVersionUID = 1L;

    private final DialFailure failure;

    public DialException(DialFailure failure, String message) {
        super(message);
        this.failure = Objects.requireNonNull(failure, "failure");
    }

    public DialException(DialFailure failure, String message, Throwable cause) {
        this(failure, message);
        initCause(cause);
    }

    /** Returns why the dial failed. */
    public DialFailure failure() {
        return failure;
    }
}
