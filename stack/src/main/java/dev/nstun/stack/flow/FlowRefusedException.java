package dev.nstun.stack.flow;

/** The dialer refuses a flow on purpose ({@link DialFailure#PROHIBITED}): the command gets an immediate error, not a timeout. */
public final class FlowRefusedException extends DialException {
    private static final long serialVersionUID = 1L;

    public FlowRefusedException(String reason) {
        super(DialFailure.PROHIBITED, reason);
    }
}
