package dev.nstun.policies.dns;

import java.io.IOException;

/** Opens a connection or socket to the upstream through the outbound; blocking. */
@FunctionalInterface
interface Opener<C> {
    C open() throws IOException;
}
