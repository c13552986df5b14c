package dev.nstun.policies.outbound;

import dev.nstun.policies.config.Credentials;
import dev.nstun.policies.config.DomainNames;
import dev.nstun.policies.config.Isolation;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Makes up the SOCKS5 username and password of each isolation unit of a socks5 outbound with
 * {@code isolate} ({@link Isolation}), the way Tor Browser does for Tor: Tor's IsolateSOCKSAuth
 * (on by default for every SocksPort) never lets streams with different credentials share a
 * circuit. The credentials are an HMAC of the unit under a secret drawn once per run, so the same
 * unit gets the same credentials all through a run, different runs never share any, and they
 * tell the proxy nothing about the unit beyond what the stream itself does.
 */
public final class StreamIsolation {
    /** The run's own: this process draws its secret once, whatever reloads change. */
    public static final StreamIsolation RUN = new StreamIsolation(newSecret());

    private static final String MAC = "HmacSHA256";
    /** Bytes of the MAC kept: 128 bits, as hex, is both username and password. */
    private static final int TOKEN_BYTES = 16;

    private final byte[] secret;
    private final AtomicLong flows = new AtomicLong();

    /** Returns isolation under a secret of its own (tests give one, to compare runs). */
    public StreamIsolation(byte[] secret) {
        this.secret = secret.clone();
    }

    /** Returns a new random secret. */
    public static byte[] newSecret() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return secret;
    }

    /**
     * Returns the credentials for a flow to {@code destination} under {@code isolation}: the
     * outbound's own for {@link Isolation#NONE}, otherwise those of the flow's unit (the run, the
     * destination host, or the flow itself).
     */
    public Optional<Credentials> credentials(Isolation isolation, Optional<Credentials> own, Destination destination) {
        return switch (isolation) {
            case NONE -> own;
            case PER_RUN -> Optional.of(token("run"));
            case PER_DESTINATION -> Optional.of(token("destination " + DomainNames.normalize(destination.host())));
            case PER_FLOW -> Optional.of(token("flow " + flows.incrementAndGet()));
        };
    }

    private Credentials token(String unit) {
        byte[] mac;
        try {
            Mac hmac = Mac.getInstance(MAC);
            hmac.init(new SecretKeySpec(secret, MAC));
            mac = hmac.doFinal(unit.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has " + MAC, e);
        }
        String token = HexFormat.of().formatHex(mac, 0, TOKEN_BYTES);
        return new Credentials(token, token);
    }
}
