package dev.nstun.cli;

import dev.nstun.policies.outbound.OutboundException;
import dev.nstun.stack.flow.DialException;
import dev.nstun.stack.flow.DialFailure;
import dev.nstun.stack.flow.FlowId;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.nio.channels.AsynchronousCloseException;
import java.util.Locale;
import org.slf4j.Logger;

/**
 * Turns what a connect threw into a {@link DialFailure}: the one place that reads the JDK's
 * exceptions, so the stack answers the command from a type. The JDK gives no errno; where its
 * exception class does not tell the causes apart (ConnectException for ECONNREFUSED and ETIMEDOUT,
 * SocketException for ENETUNREACH, EMFILE, ENFILE, ENOBUFS), the strerror text it carries does.
 * Failures that say something about nstun's set-up rather than the destination (whatever a proxy
 * says, a timeout, a local shortage) are warned once per outbound and cause ({@link FailureLog}).
 */
final class DialFailures {
    private final Logger log;
    private final FailureLog failures;

    DialFailures(Logger log) {
        this.log = log;
        this.failures = new FailureLog(log);
    }

    /** Returns {@code e} as a {@link DialException} for {@code flow} through {@code outbound}, warning about it when it concerns the user. */
    DialException failed(String outbound, FlowId flow, IOException e) {
        DialException typed = classify(e);
        String line = flow + " via " + outbound + ": " + typed.getMessage();
        // A dial the stack gave up (its half-open flow was evicted) ends interrupted, or closed under a
        // connect begun on the loop: nothing to tell.
        boolean givenUp = Thread.currentThread().isInterrupted() || e instanceof AsynchronousCloseException;
        boolean concernsUser = !givenUp && (e instanceof OutboundException || switch (typed.failure()) {
            case TIMED_OUT, PROXY_FAILED, LOCAL_RESOURCE, FAILED -> true;
            case REFUSED, PROHIBITED, NETWORK_UNREACHABLE, HOST_UNREACHABLE, DROPPED -> false;
        });
        if (concernsUser) {
            failures.warn(outbound + "/" + typed.failure(), line + hint(typed.failure()), System.nanoTime());
        } else {
            log.debug("{} ({})", line, typed.failure());
        }
        return typed;
    }

    /** Returns what {@code e} means for the command. */
    static DialException classify(IOException e) {
        if (e instanceof DialException d) return d;
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        String text = message.toLowerCase(Locale.ROOT);
        DialFailure failure = switch (e) {
            case OutboundException o when o.kind() == OutboundException.Kind.NOT_ALLOWED -> DialFailure.PROHIBITED;
            case OutboundException o -> DialFailure.PROXY_FAILED;
            case SocketTimeoutException t -> DialFailure.TIMED_OUT;
            case InterruptedIOException i -> DialFailure.FAILED;
            case BindException b -> DialFailure.LOCAL_RESOURCE; // EADDRNOTAVAIL: no ephemeral port left; EADDRINUSE
            case ConnectException c when text.contains("timed out") -> DialFailure.TIMED_OUT;
            case ConnectException c -> DialFailure.REFUSED;
            case NoRouteToHostException n when text.startsWith("network") -> DialFailure.NETWORK_UNREACHABLE;
            case NoRouteToHostException n -> DialFailure.HOST_UNREACHABLE;
            default -> text.contains("network is unreachable") ? DialFailure.NETWORK_UNREACHABLE
                    : text.contains("too many open files") || text.contains("no buffer space") ? DialFailure.LOCAL_RESOURCE
                    : DialFailure.FAILED;
        };
        return new DialException(failure, message, e);
    }

    private static String hint(DialFailure failure) {
        return switch (failure) {
            case TIMED_OUT -> " (the command sees 'no route to host'; is the proxy or destination up and reachable from this host?)";
            case LOCAL_RESOURCE -> " (this host is out of ephemeral ports or file descriptors: see ss -s and ulimit -n;"
                    + " tens of thousands of short connections a minute to one server need sysctl net.ipv4.tcp_tw_reuse=1)";
            default -> "";
        };
    }
}
