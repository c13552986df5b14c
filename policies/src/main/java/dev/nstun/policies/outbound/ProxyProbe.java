package dev.nstun.policies.outbound;

import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.outbound.OutboundException.Kind;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks a socks5 or http outbound step by step, as {@code nstun check --probe} does: connect to
 * the proxy, greet and authenticate, CONNECT to a test destination, and, for socks5 with
 * {@code udp: true}, UDP ASSOCIATE. The outcome says how far it got and, on failure, what to
 * look at: {@code connected, then rejected the username/password for alice — check username and
 * password (work.yaml:7)}.
 *
 * <p>The test destination is a place nstun itself will go, the DNS upstream; connecting there is
 * what every DNS query through the proxy does. A proxy that answers CONNECT but cannot or may not
 * reach it (refused, unreachable, forbidden by its rules, e.g. an HTTP proxy allowing port 443
 * only) still works: the outcome is ok, with a note. Whether DNS through it works is the DNS
 * check's business.
 */
public final class ProxyProbe {
    private ProxyProbe() {
    }

    /**
     * What the probe found.
     *
     * @param ok     whether the outbound works
     * @param detail the steps done, then on failure what went wrong and what to check
     */
    public record Outcome(boolean ok, String detail) {
    }

    /** Probes {@code outbound}, a socks5 or http outbound, each step within {@code timeout}. Blocking. */
    public static Outcome probe(Outbound outbound, Destination testDestination, Duration timeout) {
        return switch (outbound) {
            case Outbound.Socks5 socks5 -> socks5(socks5, testDestination, timeout);
            case Outbound.Http http -> http(http, testDestination, timeout);
            default -> throw new IllegalArgumentException("only socks5 and http outbounds are probed, not " + outbound.type());
        };
    }

    private static Outcome socks5(Outbound.Socks5 outbound, Destination target, Duration timeout) {
        List<String> done = new ArrayList<>();
        Socks5Client client = new Socks5Client(outbound.server(), outbound.credentials(), timeout);
        Deadline deadline = Deadline.after(timeout);
        SocketChannel channel;
        try {
            channel = client.connectToProxy(deadline);
        } catch (IOException e) {
            return failed(done, unreachable(e, outbound, timeout));
        }
        done.add("connected");
        try (channel) {
            Handshake handshake = new Handshake(channel, client.peer(), deadline);
            try {
                client.authenticate(handshake);
            } catch (IOException e) {
                return failed(done, handshakeFailure(e, outbound, client.peer(), "SOCKS5"));
            }
            done.add(outbound.credentials().map(c -> "authenticated as " + c.username()).orElse("no authentication required"));
            try {
                client.command(handshake, Socks5CommandType.CONNECT, target);
                done.add("CONNECT " + target + " ok");
            } catch (IOException e) {
                Optional<String> note = destinationFailure(e, client.peer());
                if (note.isEmpty()) {
                    return failed(done, handshakeFailure(e, outbound, client.peer(), "SOCKS5"));
                }
                done.add("CONNECT " + target + " failed (" + note.get() + "; " + target + " is only a test destination)");
            }
        } catch (IOException e) {
            // Closing the probe's connection failed: nothing the outbound did.
        }
        if (outbound.udp()) {
            try (Socks5UdpAssociation association = client.associate()) {
                done.add("UDP ASSOCIATE supported");
            } catch (OutboundException e) {
                Optional<String> refusal = UdpSupport.refusal(e);
                if (refusal.isPresent()) {
                    return failed(done, "UDP ASSOCIATE not supported (" + refusal.get() + "): UDP flows through " + outbound.name()
                            + " would be refused — remove udp: true" + at(outbound));
                }
                return failed(done, "UDP ASSOCIATE failed: " + shorten(e.getMessage(), client.peer()));
            } catch (IOException e) {
                return failed(done, "UDP ASSOCIATE failed: " + shorten(e.getMessage(), client.peer()));
            }
        }
        return new Outcome(true, String.join(", ", done));
    }

    private static Outcome http(Outbound.Http outbound, Destination target, Duration timeout) {
        List<String> done = new ArrayList<>();
        HttpConnectClient client = new HttpConnectClient(outbound.server(), outbound.credentials(), timeout);
        String peer = "http proxy " + outbound.server();
        Deadline deadline = Deadline.after(timeout);
        SocketChannel channel;
        try {
            channel = client.connectToProxy(deadline);
        } catch (IOException e) {
            return failed(done, unreachable(e, outbound, timeout));
        }
        done.add("connected");
        try (channel) {
            client.tunnel(channel, target, deadline);
            outbound.credentials().ifPresent(c -> done.add("authenticated as " + c.username()));
            done.add("CONNECT " + target + " ok");
        } catch (IOException e) {
            Optional<String> note = destinationFailure(e, peer);
            if (note.isEmpty()) {
                return failed(done, handshakeFailure(e, outbound, peer, "HTTP"));
            }
            // HTTP authenticates with the request itself: a refused CONNECT leaves the credentials unconfirmed.
            done.add("CONNECT " + target + " failed (" + note.get() + "; " + target + " is only a test destination"
                    + (outbound.credentials().isPresent() ? ", so the credentials are not confirmed" : "") + ")");
        }
        return new Outcome(true, String.join(", ", done));
    }

    private static Outcome failed(List<String> done, String why) {
        return new Outcome(false, done.isEmpty() ? why : String.join(", ", done) + ", then " + why);
    }

    /** Says why the proxy could not be reached, and what to check. */
    private static String unreachable(IOException e, Outbound outbound, Duration timeout) {
        String check = " check server:" + at(outbound);
        if (e instanceof SocketTimeoutException) {
            return "no answer to the connection within " + Deadline.after(timeout).describe() + " — is server: right, or does a"
                    + " firewall drop it?"
                    + at(outbound);
        }
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof UnknownHostException) {
                return "cannot resolve " + server(outbound).host() + " —" + check;
            }
            if (cause instanceof NoRouteToHostException) {
                return "no route to the proxy (" + cause.getMessage() + ") — check server: and the network" + at(outbound);
            }
            if (cause instanceof ConnectException && !(cause instanceof OutboundException)) {
                return "connection refused — is the proxy running?" + check;
            }
        }
        return "cannot connect: " + e.getMessage() + " —" + check;
    }

    /** Says why the handshake failed after connecting, and what to check. */
    private static String handshakeFailure(IOException e, Outbound outbound, String peer, String protocol) {
        String what = shorten(e.getMessage(), peer);
        if (e instanceof OutboundException o && o.kind() == Kind.AUTHENTICATION) {
            return what + " — check username and password" + at(outbound);
        }
        if (e instanceof SocketTimeoutException || e instanceof OutboundException o && o.kind() == Kind.PROTOCOL) {
            return what + " — is " + server(outbound) + " a " + protocol + " proxy?" + at(outbound);
        }
        return what;
    }

    /**
     * Returns what went wrong when the proxy answered CONNECT but did not reach the destination:
     * refused, unreachable, timed out, forbidden by its rules, or its own failure to connect. Empty
     * when the proxy itself is at fault.
     */
    private static Optional<String> destinationFailure(IOException e, String peer) {
        if (e instanceof OutboundException o) {
            return o.kind() == Kind.NOT_ALLOWED || o.kind() == Kind.PROXY_FAILURE ? Optional.of(shorten(e.getMessage(), peer))
                    : Optional.empty();
        }
        return e instanceof ConnectException || e instanceof SocketTimeoutException ? Optional.of(shorten(e.getMessage(), peer))
                : Optional.empty();
    }

    /** Drops the proxy's name from a message, as the probe's line names it already. */
    private static String shorten(String message, String peer) {
        String m = message.replace(" (via " + peer + ")", "");
        if (m.startsWith(peer + ": ")) {
            return m.substring(peer.length() + 2);
        }
        return m.startsWith(peer + " ") ? m.substring(peer.length() + 1) : m;
    }

    private static HostPort server(Outbound outbound) {
        return switch (outbound) {
            case Outbound.Socks5 s -> s.server();
            case Outbound.Http h -> h.server();
            default -> throw new IllegalArgumentException(outbound.type() + " has no server");
        };
    }

    /** Returns where the outbound is declared, {@code " (work.yaml:7)"}, or nothing when it is not in a file. */
    private static String at(Outbound outbound) {
        return outbound.location().inFile() ? " (" + outbound.location().fileAndLine() + ")" : "";
    }

}
