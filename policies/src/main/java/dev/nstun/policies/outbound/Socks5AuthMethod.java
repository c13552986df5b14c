package dev.nstun.policies.outbound;

/** A SOCKS5 authentication method (RFC 1928 §3), as an open set: {@link #valueOf} never throws. */
public final class Socks5AuthMethod extends ByteCode {
    public static final Socks5AuthMethod NO_AUTH = new Socks5AuthMethod(0x00, "NO_AUTH");
    public static final Socks5AuthMethod GSSAPI = new Socks5AuthMethod(0x01, "GSSAPI");
    /** Username/password, RFC 1929. */
    public static final Socks5AuthMethod PASSWORD = new Socks5AuthMethod(0x02, "PASSWORD");
    /** The server's answer when it accepts none of the methods offered. */
    public static final Socks5AuthMethod UNACCEPTED = new Socks5AuthMethod(0xff, "UNACCEPTED");

    private Socks5AuthMethod(int code, String name) {
        super(code, name);
    }

    /** Returns the constant for {@code b}, or a new value that keeps an unknown code. */
    public static Socks5AuthMethod valueOf(byte b) {
        return switch (b) {
            case 0x00 -> NO_AUTH;
            case 0x01 -> GSSAPI;
            case 0x02 -> PASSWORD;
            case (byte) 0xff -> UNACCEPTED;
            default -> new Socks5AuthMethod(b, UNKNOWN);
        };
    }
}
