package dev.nstun.policies.outbound;

import dev.nstun.policies.config.Credentials;
import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.outbound.HttpResponseDecoder.Head;
import dev.nstun.policies.outbound.OutboundException.Kind;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An HTTP proxy client: {@code CONNECT host:port HTTP/1.1} (RFC 9110 §9.3.6), with Basic
 * authentication (RFC 7617) when the outbound has credentials. Blocking I/O for virtual threads,
 * like {@link Socks5Client}, or the same exchange on a selector's loop ({@link #start}); the
 * connect-timeout bounds connecting to the proxy and its answer.
 *
 * <p>The answer's head is read without reading past it (see {@link HttpResponseDecoder}), so when
 * the destination speaks first (SSH, SMTP) and its first bytes arrive with the proxy's 200, they
 * are still in the returned channel.
 *
 * <p>Status codes map to what the wrapped command should see: 2xx connected; 502, 503 and 500
 * (the proxy could not connect: squid says 503, tinyproxy 500 "Unable to connect") become
 * {@link ConnectException}; 504 a {@link java.net.SocketTimeoutException}; 407, and 401 (which
 * tinyproxy sends for wrong credentials), an {@link OutboundException} about credentials; 403 one
 * about the proxy's rules; anything else an {@link OutboundException} quoting the status.
 */
public final class HttpConnectClient implements ProxyClient {
    /** How many interim (1xx) responses are skipped before the final one. */
    private static final int MAX_INTERIM_RESPONSES = 8;
    /** The handshake's one step, as messages name it. */
    private static final String STEP = "CONNECT request";
    /** A Basic challenge among those of a Proxy-Authenticate field. */
    private static final Pattern BASIC = Pattern.compile("(?i)(^|[\\s,])basic(\\s|,|$)");

    private final HostPort proxy;
    private final Optional<Credentials> credentials;
    private final Duration timeout;
    private final String peer;

    public HttpConnectClient(HostPort proxy, Optional<Credentials> credentials, Duration timeout) {
        this.proxy = Objects.requireNonNull(proxy, "proxy");
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.peer = "http proxy " + proxy;
    }

    /** Returns a client for an http outbound of the policy. */
    public static HttpConnectClient of(Outbound.Http outbound) {
        return new HttpConnectClient(outbound.server(), outbound.credentials(), outbound.connectTimeout());
    }

    /** Returns the proxy's address. */
    public HostPort proxy() {
        return proxy;
    }

    /**
     * Connects to the proxy and has it CONNECT to {@code destination} (by name when it has one).
     * Returns the channel, in blocking mode, positioned at the first byte of the tunnel.
     */
    @Override
    public SocketChannel connect(Destination destination) throws IOException {
        Deadline deadline = Deadline.after(timeout);
        SocketChannel channel = connectToProxy(deadline);
        try {
            tunnel(channel, destination, deadline);
            return channel;
        } catch (IOException | RuntimeException e) {
            Sockets.closeAfter(channel, e);
            throw e;
        }
    }

    /** Opens the TCP connection to the proxy; package-private for {@link Probe}, which times the steps apart. */
    SocketChannel connectToProxy(Deadline deadline) throws IOException {
        return Sockets.connectToProxy(proxy, peer, deadline);
    }

    @Override
    public Optional<StartedConnect> start(Destination destination) throws IOException {
        return StartedConnect.throughProxy(proxy, peer, channel -> new NonBlockingHandshake(channel, peer, tunnelSteps(destination)), timeout);
    }

    /** Sends CONNECT on a connection to the proxy and reads the answer up to the tunnel's first byte. */
    void tunnel(SocketChannel channel, Destination destination, Deadline deadline) throws IOException {
        Handshake handshake = new Handshake(channel, peer, deadline);
        handshake.run(tunnelSteps(destination));
        handshake.finish();
    }

    /** The CONNECT request and its answer, after up to {@link #MAX_INTERIM_RESPONSES} interim (1xx) ones. */
    private HandshakeStep tunnelSteps(Destination destination) {
        return new HandshakeStep.Exchange<>(request(destination), new HttpResponseDecoder(), STEP, head -> answered(head, destination, 0));
    }

    private HandshakeStep answered(Head head, Destination destination, int interim) throws IOException {
        if (head.status() < 200 && interim < MAX_INTERIM_RESPONSES) {
            return new HandshakeStep.Exchange<>(new byte[0], new HttpResponseDecoder(), STEP, next -> answered(next, destination, interim + 1));
        }
        if (head.status() < 200 || head.status() > 299) {
            throw failure(head, destination);
        }
        return HandshakeStep.Done.NOTHING;
    }

    /** Returns the request: request line, Host, and Proxy-Authorization with credentials. */
    byte[] request(Destination destination) {
        String authority = destination.authority();
        StringBuilder out = new StringBuilder()
                .append("CONNECT ").append(authority).append(" HTTP/1.1\r\n")
                .append("Host: ").append(authority).append("\r\n");
        credentials.ifPresent(c -> out.append("Proxy-Authorization: Basic ")
                .append(Base64.getEncoder().encodeToString((c.username() + ":" + c.password()).getBytes(StandardCharsets.UTF_8)))
                .append("\r\n"));
        return out.append("\r\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    private OutboundException authenticationFailure(Head head) {
        String status = head.statusText();
        Optional<String> challenge = head.header("Proxy-Authenticate");
        if (challenge.isPresent() && !BASIC.matcher(challenge.get()).find()) {
            return new OutboundException(Kind.AUTHENTICATION, peer + " asks for " + HttpResponseDecoder.printable(challenge.get().strip().split("[ ,]", 2)[0])
                    + " authentication (" + status + "); nstun sends Basic only");
        }
        return new OutboundException(Kind.AUTHENTICATION, credentials
                .map(c -> peer + " rejected the username/password for " + c.username() + " (" + status + ")")
                .orElseGet(() -> peer + " requires authentication (" + status + "): give the outbound a username and password"));
    }

    private IOException failure(Head head, Destination destination) {
        String status = head.statusText();
        return switch (head.status()) {
            case 401, 407 -> authenticationFailure(head);
            case 403 -> new OutboundException(Kind.NOT_ALLOWED, peer + " does not allow CONNECT to " + destination + " (" + status + ")");
            case 500, 502, 503 -> new ConnectException(peer + " could not connect to " + destination + " (" + status + ")");
            case 504 -> Sockets.timeout(peer + " timed out connecting to " + destination + " (" + status + ")", null);
            default -> new OutboundException(Kind.PROXY_FAILURE, peer + " answered CONNECT to " + destination + " with " + status);
        };
    }
}
