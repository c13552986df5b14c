package dev.nstun.policies.outbound;

/**
 * A one-byte protocol code with a name: the shared part of the open "enums" ({@link Socks5Reply},
 * {@link Socks5AuthMethod}, {@link Socks5CommandType}, {@link Socks5AddressType}). Unlike a Java
 * enum, a code the protocol may add later is kept as a value of its own instead of being refused,
 * the way Netty's codec-socks does it. Two codes are equal when their class and byte are equal.
 */
abstract class ByteCode {
    /** The name of a code that {@code valueOf} kept without knowing it. */
    static final String UNKNOWN = "UNKNOWN";

    private final byte code;
    private final String name;

    ByteCode(int code, String name) {
        this.code = (byte) code;
        this.name = name;
    }

    /** Returns the byte on the wire. */
    public final byte byteValue() {
        return code;
    }

    /** Returns the byte on the wire as 0 to 255. */
    public final int intValue() {
        return code & 0xff;
    }

    /** Returns the constant's name, e.g. {@code CONNECTION_REFUSED}, or {@code UNKNOWN}. */
    public final String name() {
        return name;
    }

    /** Returns whether the protocol defines this code (false for a code kept by {@code valueOf}). */
    public final boolean isKnown() {
        return !name.equals(UNKNOWN);
    }

    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && ((ByteCode) o).code == code;
    }

    @Override
    public final int hashCode() {
        return code;
    }

    /** Returns the name and the code, e.g. {@code CONNECTION_REFUSED(5)} or {@code UNKNOWN(66)}. */
    @Override
    public final String toString() {
        return name + "(" + intValue() + ")";
    }
}
