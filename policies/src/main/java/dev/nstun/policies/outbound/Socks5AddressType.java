package dev.nstun.policies.outbound;

/** The ATYP field of SOCKS5 (RFC 1928 §5), as an open set: {@link #valueOf} never throws. */
public final class Socks5AddressType extends ByteCode {
    public static final Socks5AddressType IPV4 = new Socks5AddressType(0x01, "IPV4");
    public static final Socks5AddressType DOMAIN = new Socks5AddressType(0x03, "DOMAIN");
    public static final Socks5AddressType IPV6 = new Socks5AddressType(0x04, "IPV6");

    private Socks5AddressType(int code, String name) {
        super(code, name);
    }

    /** Returns the constant for {@code b}, or a new value that keeps an unknown code. */
    public static Socks5AddressType valueOf(byte b) {
        return switch (b) {
            case 0x01 -> IPV4;
            case 0x03 -> DOMAIN;
            case 0x04 -> IPV6;
            default -> new Socks5AddressType(b, UNKNOWN);
        };
    }
}
