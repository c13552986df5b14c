package dev.nstun.policies.config;

import java.util.Objects;

/**
 * A username and password for a proxy. The password never appears in {@link #toString()}, so a
 * policy can be logged without leaking it.
 */
public record Credentials(String username, String password) {

    public Credentials {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
    }

    @Override
    public String toString() {
        return "Credentials[username=" + username + ", password=(hidden)]";
    }
}
