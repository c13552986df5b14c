package dev.nstun.policies.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Strict IPv4 and IPv6 literals, parsed without ever asking DNS ({@link InetAddress#getByName}
 * resolves anything that is not a literal, which a policy loader must never do).
 *
 * <p>IPv4 takes exactly four decimal parts without leading zeros (so {@code 010.0.0.1}, which
 * {@code inet_aton} reads as octal, is refused rather than guessed). IPv6 takes RFC 4291 text,
 * with an embedded IPv4 tail, without a zone. Output follows RFC 5952.
 */
public final class IpLiteral {
    private static final int IPV4_BYTES = 4;
    private static final int IPV6_BYTES = 16;
    private static final int IPV6_GROUPS = 8;

    private IpLiteral() {
    }

    /** Returns the address {@code text} spells, or empty when it is no IPv4 or IPv6 literal. */
    public static Optional<InetAddress> parse(String text) {
        return parseBytes(text).map(IpLiteral::toInetAddress);
    }

    /** Returns the address bytes {@code text} spells (4 or 16), or empty. */
    static Optional<byte[]> parseBytes(String text) {
        if (text.indexOf(':') >= 0) {
            return parseIpv6(text);
        }
        return parseIpv4(text);
    }

    /** Returns whether {@code text} is made of digits and dots only, so it can only mean IPv4. */
    static boolean looksLikeIpv4(String text) {
        return !text.isEmpty() && text.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    /** Returns the IPv4 form of an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}), else the bytes themselves. */
    public static byte[] unmap(byte[] address) {
        if (address.length != IPV6_BYTES) {
            return address;
        }
        for (int i = 0; i < 10; i++) {
            if (address[i] != 0) {
                return address;
            }
        }
        if (address[10] != (byte) 0xff || address[11] != (byte) 0xff) {
            return address;
        }
        return new byte[] {address[12], address[13], address[14], address[15]};
    }

    /** Returns an address object for 4 or 16 bytes; never resolves. */
    public static InetAddress toInetAddress(byte[] address) {
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + address.length, e);
        }
    }

    /** Returns the address in its canonical text form (RFC 5952 for IPv6). */
    public static String format(InetAddress address) {
        return format(address.getAddress());
    }

    /** Returns 4 or 16 address bytes in canonical text form (RFC 5952 for IPv6). */
    public static String format(byte[] address) {
        if (address.length == IPV4_BYTES) {
            return (address[0] & 0xff) + "." + (address[1] & 0xff) + "." + (address[2] & 0xff) + "." + (address[3] & 0xff);
        }
        byte[] mapped = unmap(address);
        if (mapped.length == IPV4_BYTES) {
            return "::ffff:" + format(mapped);
        }
        int[] groups = new int[IPV6_GROUPS];
        for (int i = 0; i < IPV6_GROUPS; i++) {
            groups[i] = ((address[2 * i] & 0xff) << 8) | (address[2 * i + 1] & 0xff);
        }
        // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first one on a tie.
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < IPV6_GROUPS; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < IPV6_GROUPS && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < IPV6_GROUPS; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }

    private static Optional<byte[]> parseIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != IPV4_BYTES) {
            return Optional.empty();
        }
        byte[] out = new byte[IPV4_BYTES];
        for (int i = 0; i < IPV4_BYTES; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0')) {
                return Optional.empty();
            }
            int value = 0;
            for (int k = 0; k < part.length(); k++) {
                char c = part.charAt(k);
                if (c < '0' || c > '9') {
                    return Optional.empty();
                }
                value = value * 10 + (c - '0');
            }
            if (value > 255) {
                return Optional.empty();
            }
            out[i] = (byte) value;
        }
        return Optional.of(out);
    }

    private static Optional<byte[]> parseIpv6(String text) {
        int gap = text.indexOf("::");
        if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
            return Optional.empty();
        }
        String head = gap >= 0 ? text.substring(0, gap) : text;
        String tail = gap >= 0 ? text.substring(gap + 2) : "";
        int[] headGroups = groups(head, gap < 0);
        int[] tailGroups = gap >= 0 ? groups(tail, true) : new int[0];
        if (headGroups == null || tailGroups == null) {
            return Optional.empty();
        }
        int written = headGroups.length + tailGroups.length;
        if (gap < 0 ? written != IPV6_GROUPS : written > IPV6_GROUPS - 1) {
            return Optional.empty();
        }
        int[] all = new int[IPV6_GROUPS];
        System.arraycopy(headGroups, 0, all, 0, headGroups.length);
        System.arraycopy(tailGroups, 0, all, IPV6_GROUPS - tailGroups.length, tailGroups.length);
        byte[] out = new byte[IPV6_BYTES];
        for (int i = 0; i < IPV6_GROUPS; i++) {
            out[2 * i] = (byte) (all[i] >>> 8);
            out[2 * i + 1] = (byte) all[i];
        }
        return Optional.of(out);
    }

    /**
     * Returns the 16-bit groups of a colon-separated run ({@code ""} has none), or null when malformed.
     * An IPv4 tail counts as two groups and is allowed only where the address ends.
     */
    private static int[] groups(String run, boolean mayEndInIpv4) {
        if (run.isEmpty()) {
            return new int[0];
        }
        String[] parts = run.split(":", -1);
        int count = parts.length;
        boolean ipv4Tail = parts[count - 1].indexOf('.') >= 0;
        if (ipv4Tail && !mayEndInIpv4) {
            return null;
        }
        int[] out = new int[ipv4Tail ? count + 1 : count];
        for (int i = 0; i < count; i++) {
            String part = parts[i];
            if (i == count - 1 && ipv4Tail) {
                Optional<byte[]> v4 = parseIpv4(part);
                if (v4.isEmpty()) {
                    return null;
                }
                byte[] b = v4.get();
                out[i] = ((b[0] & 0xff) << 8) | (b[1] & 0xff);
                out[i + 1] = ((b[2] & 0xff) << 8) | (b[3] & 0xff);
                break;
            }
            if (part.isEmpty() || part.length() > 4) {
                return null;
            }
            int value = 0;
            for (int k = 0; k < part.length(); k++) {
                int digit = Character.digit(part.charAt(k), 16);
                if (digit < 0) {
                    return null;
                }
                value = (value << 4) | digit;
            }
            out[i] = value;
        }
        return out;
    }
}
