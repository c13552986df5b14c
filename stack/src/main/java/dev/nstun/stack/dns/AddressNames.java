package dev.nstun.stack.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Names that spell an address: address literals queried as names ({@code 1.2.3.4}, {@code ::1}),
 * and reverse-lookup names ({@code 4.3.2.1.in-addr.arpa}, RFC 1035 §3.5; nibble names under
 * {@code ip6.arpa}, RFC 3596 §2.5). Names come as {@link WireNames#decode} gives them: lowercase.
 */
final class AddressNames {
    private static final String IN_ADDR_ARPA = ".in-addr.arpa";
    private static final String IP6_ARPA = ".ip6.arpa";

    private AddressNames() {
    }

    /**
     * Returns the address {@code name} spells as a literal, 4 or 16 bytes, or null when it is no
     * literal. IPv4 takes the strict dotted quad: no leading zeros, which inet_aton would read as
     * octal.
     */
    static byte[] literal(String name) {
        if (name.indexOf(':') >= 0) return ipv6Literal(name);
        return ipv4Quad(name, 0, name.length(), false);
    }

    private static byte[] ipv6Literal(String name) {
        // InetAddress.getByName looks nothing up for a string that starts with a hex digit or ':'
        // and holds a ':': it parses the literal or throws. The character check keeps it to that
        // case (no scope IDs, no brackets).
        char first = name.charAt(0);
        if (hexDigit(first) < 0 && first != ':') return null;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (hexDigit(c) < 0 && c != ':' && c != '.') return null;
        }
        try {
            InetAddress address = InetAddress.getByName(name);
            // Java reads an IPv4-mapped literal (::ffff:a.b.c.d) as IPv4; the name spelled IPv6.
            return address instanceof Inet4Address ? mapped(address.getAddress()) : address.getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static byte[] mapped(byte[] ipv4) {
        byte[] address = new byte[16];
        address[10] = (byte) 0xff;
        address[11] = (byte) 0xff;
        System.arraycopy(ipv4, 0, address, 12, 4);
        return address;
    }

    /**
     * Returns the address a complete reverse-lookup name stands for (4 labels under in-addr.arpa,
     * 32 nibbles under ip6.arpa), or null for any other name, shorter zone names included.
     */
    static byte[] fromReverseName(String name) {
        if (name.endsWith(IN_ADDR_ARPA)) return ipv4Quad(name, 0, name.length() - IN_ADDR_ARPA.length(), true);
        if (name.endsWith(IP6_ARPA)) return ipv6Nibbles(name, name.length() - IP6_ARPA.length());
        return null;
    }

    /** Parses {@code name[from, to)} as four dotted decimal octets, in reverse order when asked. */
    private static byte[] ipv4Quad(String name, int from, int to, boolean reversed) {
        byte[] address = new byte[4];
        int p = from;
        for (int i = 0; i < 4; i++) {
            int value = 0;
            int digits = 0;
            for (; p < to && name.charAt(p) != '.'; p++, digits++) {
                int d = name.charAt(p) - '0';
                if (d < 0 || d > 9 || digits == 3 || digits == 1 && value == 0) return null;
                value = value * 10 + d;
            }
            if (digits == 0 || value > 255) return null;
            address[reversed ? 3 - i : i] = (byte) value;
            if (i < 3 && (p >= to || name.charAt(p++) != '.')) return null;
        }
        return p == to ? address : null;
    }

    /** Parses {@code name[0, to)} as 32 single-hex-digit labels, least significant first. */
    private static byte[] ipv6Nibbles(String name, int to) {
        if (to != 63) return null;
        byte[] address = new byte[16];
        for (int i = 0; i < 32; i++) {
            int nibble = hexDigit(name.charAt(2 * i));
            if (nibble < 0 || i < 31 && name.charAt(2 * i + 1) != '.') return null;
            int index = 15 - i / 2;
            address[index] |= (byte) (i % 2 == 0 ? nibble : nibble << 4);
        }
        return address;
    }

    /** Returns the value of an ASCII hex digit, lowercase or not, else -1 (Character.digit also takes non-ASCII digits). */
    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
}
