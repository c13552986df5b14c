package dev.nstun.stack.flow;

/**
 * Why the upstream of a flow could not be opened, decided once where the error arose (the dialer),
 * so that the stack answers the command as a normal network would without reading exception
 * classes or message text.
 */
public enum DialFailure {
    /** The destination, or the proxy on its behalf, refused the connection: the command gets a reset (ECONNREFUSED). */
    REFUSED,
    /** nstun or the policy refuses the flow on purpose: a reset at once. */
    PROHIBITED,
    /** No route to the destination's network: ICMP network unreachable (ENETUNREACH). */
    NETWORK_UNREACHABLE,
    /** The destination host cannot be reached, or its name does not resolve: ICMP host unreachable (EHOSTUNREACH). */
    HOST_UNREACHABLE,
    /**
     * Nothing answered within the connect timeout: ICMP host unreachable, which is what a router says
     * of a host that does not answer, so the command learns it now instead of after its own SYN
     * retries (about two minutes).
     */
    TIMED_OUT,
    /** The proxy could not be reached, rejected the credentials, broke its protocol or failed: a reset at once. */
    PROXY_FAILED,
    /** This host ran out of something (ephemeral ports, file descriptors): a reset at once. */
    LOCAL_RESOURCE,
    /** The policy drops the flow: no answer at all, and the command's SYN retries are absorbed without dialing again. */
    DROPPED,
    /** Anything else; the message says what: a reset at once. */
    FAILED
}
