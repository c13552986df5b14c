package dev.nstun.policies.outbound;

/** The CMD field of a SOCKS5 request (RFC 1928 §4), as an open set: {@link #valueOf} never throws. */
public final class Socks5CommandType extends ByteCode {
    public static final Socks5CommandType CONNECT = new Socks5CommandType(0x01, "CONNECT");
    public static final Socks5CommandType BIND = new Socks5CommandType(0x02, "BIND");
    public static final Socks5CommandType UDP_ASSOCIATE = new Socks5CommandType(0x03, "UDP_ASSOCIATE");

    private Socks5CommandType(int code, String name) {
        super(code, name);
    }

    /** Returns the constant for {@code b}, or a new value that keeps an unknown code. */
    public static Socks5CommandType valueOf(byte b) {
        return switch (b) {
            case 0x01 -> CONNECT;
            case 0x02 -> BIND;
            case 0x03 -> UDP_ASSOCIATE;
            default -> new Socks5CommandType(b, UNKNOWN);
        };
    }

    /** Returns the name RFC 1928 writes, for messages: {@code CONNECT}, {@code UDP ASSOCIATE}. */
    String label() {
        return isKnown() ? name().replace('_', ' ') : "command " + intValue();
    }
}
