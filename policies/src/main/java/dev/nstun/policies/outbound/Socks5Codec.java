package dev.nstun.policies.outbound;

import dev.nstun.policies.config.Credentials;
import dev.nstun.policies.config.IpLiteral;
import dev.nstun.policies.outbound.ReplyDecoder.MalformedException;
import java.net.InetAddress;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The bytes of SOCKS5 the client writes (RFC 1928 §3, §4, §7; RFC 1929 §2), and the address field
 * (ATYP, address, port) it reads in replies and UDP datagrams. Read RFC 1928 first; it is short.
 */
final class Socks5Codec {
    static final byte VERSION = 5;
    /** The version of the username/password subnegotiation, RFC 1929. */
    static final byte PASSWORD_VERSION = 1;
    /** RSV(2) and FRAG(1) in front of the address of a UDP datagram. */
    static final int UDP_PREFIX = 3;
    /** The longest address field: ATYP, length, 255 name bytes, port. */
    static final int MAX_ADDRESS_FIELD = 1 + 1 + Destination.MAX_NAME_BYTES + 2;

    private Socks5Codec() {
    }

    /** Returns the greeting: version, then the methods offered (NO_AUTH, and PASSWORD with credentials). */
    static byte[] greeting(boolean withPassword) {
        return withPassword
                ? new byte[] {VERSION, 2, Socks5AuthMethod.NO_AUTH.byteValue(), Socks5AuthMethod.PASSWORD.byteValue()}
                : new byte[] {VERSION, 1, Socks5AuthMethod.NO_AUTH.byteValue()};
    }

    /** Returns the username/password request: version 1, ULEN, UNAME, PLEN, PASSWD (UTF-8, 1 to 255 bytes each). */
    static byte[] passwordRequest(Credentials credentials) {
        byte[] user = credentials.username().getBytes(StandardCharsets.UTF_8);
        byte[] pass = credentials.password().getBytes(StandardCharsets.UTF_8);
        if (user.length < 1 || user.length > 255 || pass.length < 1 || pass.length > 255) {
            throw new IllegalArgumentException("a SOCKS5 username and password have 1 to 255 bytes each (RFC 1929)");
        }
        return ByteBuffer.allocate(3 + user.length + pass.length)
                .put(PASSWORD_VERSION).put((byte) user.length).put(user).put((byte) pass.length).put(pass)
                .array();
    }

    /** Returns a request: version, CMD, RSV, then the address field of {@code destination}. */
    static byte[] request(Socks5CommandType command, Destination destination) {
        ByteBuffer out = ByteBuffer.allocate(3 + addressFieldLength(destination));
        out.put(VERSION).put(command.byteValue()).put((byte) 0);
        putAddress(out, destination);
        return out.array();
    }

    /** Writes the UDP request header of RFC 1928 §7 (RSV, FRAG 0, address field) for a datagram to {@code destination}. */
    static void putUdpHeader(ByteBuffer out, Destination destination) {
        out.put((byte) 0).put((byte) 0).put((byte) 0);
        putAddress(out, destination);
    }

    /**
     * Reads the UDP request header at {@code datagram}'s position and moves past it; returns where
     * the datagram came from, or empty for a fragment (FRAG not 0), which RFC 1928 §7 lets a client
     * that does not reassemble drop.
     */
    static Optional<Destination> getUdpHeader(ByteBuffer datagram) throws MalformedException {
        int at = datagram.position();
        if (datagram.remaining() < UDP_PREFIX + 1) {
            throw new MalformedException(datagram.remaining() + " bytes (expected: at least " + (UDP_PREFIX + 1) + ")");
        }
        if (datagram.get(at + 2) != 0) {
            return Optional.empty();
        }
        int length = addressFieldLength(datagram, at + UDP_PREFIX);
        if (length > datagram.remaining() - UDP_PREFIX) {
            throw new MalformedException("truncated address (expected: " + length + " bytes, got "
                    + (datagram.remaining() - UDP_PREFIX) + ")");
        }
        Destination source = getAddress(datagram, at + UDP_PREFIX);
        datagram.position(at + UDP_PREFIX + length);
        return Optional.of(source);
    }

    /** Returns the address type that carries {@code destination}: its name if it has one. */
    static Socks5AddressType addressType(Destination destination) {
        if (destination.name().isPresent()) {
            return Socks5AddressType.DOMAIN;
        }
        return addressBytes(destination).length == 4 ? Socks5AddressType.IPV4 : Socks5AddressType.IPV6;
    }

    /** Returns the length of the address field for {@code destination}. */
    static int addressFieldLength(Destination destination) {
        return 1 + destination.name().map(n -> 1 + n.getBytes(StandardCharsets.UTF_8).length)
                .orElseGet(() -> addressBytes(destination).length) + 2;
    }

    /** Writes ATYP, the address (a name with its length byte, or 4 or 16 bytes) and the port. */
    static void putAddress(ByteBuffer out, Destination destination) {
        out.put(addressType(destination).byteValue());
        if (destination.name().isPresent()) {
            byte[] name = destination.name().get().getBytes(StandardCharsets.UTF_8);
            out.put((byte) name.length).put(name);
        } else {
            out.put(addressBytes(destination));
        }
        out.putShort((short) destination.port());
    }

    /**
     * Returns the length of the address field that starts at {@code at}, when the bytes present tell
     * it, or -1 when the length byte of a name has not arrived yet.
     */
    static int addressFieldLength(ByteBuffer in, int at) throws MalformedException {
        if (at >= in.limit()) {
            return -1;
        }
        Socks5AddressType type = Socks5AddressType.valueOf(in.get(at));
        if (type.equals(Socks5AddressType.IPV4)) {
            return 1 + 4 + 2;
        }
        if (type.equals(Socks5AddressType.IPV6)) {
            return 1 + 16 + 2;
        }
        if (type.equals(Socks5AddressType.DOMAIN)) {
            return at + 1 < in.limit() ? 1 + 1 + (in.get(at + 1) & 0xff) + 2 : -1;
        }
        throw new MalformedException("address type " + type.intValue() + " (expected: 1, 3 or 4)");
    }

    /** Reads a complete address field at {@code at} with absolute gets. */
    static Destination getAddress(ByteBuffer in, int at) throws MalformedException {
        try {
            Socks5AddressType type = Socks5AddressType.valueOf(in.get(at));
            if (type.equals(Socks5AddressType.DOMAIN)) {
                int length = in.get(at + 1) & 0xff;
                if (length == 0) {
                    throw new MalformedException("empty domain name (expected: 1 to 255 bytes)");
                }
                byte[] name = new byte[length];
                in.get(at + 2, name);
                return Destination.of(new String(name, StandardCharsets.UTF_8), in.getShort(at + 2 + length) & 0xffff);
            }
            byte[] address = new byte[type.equals(Socks5AddressType.IPV4) ? 4 : 16];
            in.get(at + 1, address);
            return Destination.of(IpLiteral.toInetAddress(address), in.getShort(at + 1 + address.length) & 0xffff);
        } catch (IllegalArgumentException | IndexOutOfBoundsException | BufferUnderflowException e) {
            throw new MalformedException("bad address field: " + e.getMessage());
        }
    }

    private static byte[] addressBytes(Destination destination) {
        InetAddress address = destination.address().orElseThrow();
        return IpLiteral.unmap(address.getAddress());
    }
}
