package dev.nstun.policies.outbound;

/** The REP field of a SOCKS5 reply (RFC 1928 §6), as an open set: {@link #valueOf} never throws. */
public final class Socks5Reply extends ByteCode {
    public static final Socks5Reply SUCCEEDED = new Socks5Reply(0x00, "SUCCEEDED", "succeeded");
    public static final Socks5Reply GENERAL_FAILURE = new Socks5Reply(0x01, "GENERAL_FAILURE", "general SOCKS server failure");
    public static final Socks5Reply NOT_ALLOWED = new Socks5Reply(0x02, "NOT_ALLOWED", "connection not allowed by ruleset");
    public static final Socks5Reply NETWORK_UNREACHABLE = new Socks5Reply(0x03, "NETWORK_UNREACHABLE", "network unreachable");
    public static final Socks5Reply HOST_UNREACHABLE = new Socks5Reply(0x04, "HOST_UNREACHABLE", "host unreachable");
    public static final Socks5Reply CONNECTION_REFUSED = new Socks5Reply(0x05, "CONNECTION_REFUSED", "connection refused");
    public static final Socks5Reply TTL_EXPIRED = new Socks5Reply(0x06, "TTL_EXPIRED", "TTL expired");
    public static final Socks5Reply COMMAND_NOT_SUPPORTED = new Socks5Reply(0x07, "COMMAND_NOT_SUPPORTED", "command not supported");
    public static final Socks5Reply ADDRESS_TYPE_NOT_SUPPORTED =
            new Socks5Reply(0x08, "ADDRESS_TYPE_NOT_SUPPORTED", "address type not supported");

    private final String description;

    private Socks5Reply(int code, String name, String description) {
        super(code, name);
        this.description = description;
    }

    /** Returns the constant for {@code b}, or a new value that keeps an unassigned code. */
    public static Socks5Reply valueOf(byte b) {
        return switch (b) {
            case 0x00 -> SUCCEEDED;
            case 0x01 -> GENERAL_FAILURE;
            case 0x02 -> NOT_ALLOWED;
            case 0x03 -> NETWORK_UNREACHABLE;
            case 0x04 -> HOST_UNREACHABLE;
            case 0x05 -> CONNECTION_REFUSED;
            case 0x06 -> TTL_EXPIRED;
            case 0x07 -> COMMAND_NOT_SUPPORTED;
            case 0x08 -> ADDRESS_TYPE_NOT_SUPPORTED;
            default -> new Socks5Reply(b, UNKNOWN, "reply code " + (b & 0xff) + ", which RFC 1928 does not assign");
        };
    }

    /** Returns whether the request succeeded. */
    public boolean isSuccess() {
        return this.equals(SUCCEEDED);
    }

    /** Returns RFC 1928's words for the code, e.g. {@code connection not allowed by ruleset}. */
    public String description() {
        return description;
    }
}
