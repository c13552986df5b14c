package dev.nstun.stack.flow;

import java.io.IOException;

/** The dialer refuses a flow on purpose: the command gets an immediate error, not a timeout. */
public final class FlowRefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    public FlowRefusedException(String reason) {
        super(reason);
    }
}
