package dev.nstun.stack.flow;

import java.io.IOException;

/**
 * What runs on an upstream's channel after its connect completes and before the flow is answered:
 * a proxy's handshake ({@link PendingConnect#handshake}), driven by the stack's loop from the
 * channel's readiness. It never blocks.
 */
@FunctionalInterface
public interface UpstreamHandshake {
    /** What {@link #advance} left the handshake waiting for. */
    enum Progress {
        /** The channel to become readable. */
        READABLE,
        /** The channel to become writable. */
        WRITABLE,
        /** Nothing: the channel now carries the flow's bytes. */
        DONE
    }

    /**
     * Goes as far as the channel allows without waiting. A failure is answered as the connect's
     * own ({@link PendingConnect#failure}).
     */
    Progress advance() throws IOException;
}
