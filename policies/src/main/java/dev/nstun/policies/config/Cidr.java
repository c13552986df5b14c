package dev.nstun.policies.config;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 prefix such as {@code 10.0.0.0/8} or {@code fd00::/8}, with no host bits set.
 * IPv4-mapped IPv6 prefixes ({@code ::ffff:10.0.0.0/104}) are stored as the IPv4 prefix they mean,
 * since flows carry IPv4 addresses in IPv4 form.
 */
public record Cidr(InetAddress network, int prefixLength) {

    public Cidr {
        byte[] bytes = network.getAddress();
        if (prefixLength < 0 || prefixLength > bytes.length * 8) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " out of range");
        }
        if (!Arrays.equals(bytes, masked(bytes, prefixLength))) {
            throw new IllegalArgumentException("host bits set in " + IpLiteral.format(bytes) + "/" + prefixLength);
        }
    }

    /**
     * Parses {@code ADDRESS/LENGTH}, or a bare address (a prefix of one address).
     *
     * @throws IllegalArgumentException with a message saying what is wrong and what was meant
     */
    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        String addressText = slash < 0 ? text : text.substring(0, slash);
        byte[] address = IpLiteral.parseBytes(addressText).orElseThrow(() -> new IllegalArgumentException(
                IpLiteral.looksLikeIpv4(addressText)
                        ? "'" + addressText + "' is not a valid IPv4 address"
                        : "expected ADDRESS/LENGTH, e.g. 10.0.0.0/8 or fd00::/8"));
        int maxLength = address.length * 8;
        int length = maxLength;
        if (slash >= 0) {
            String lengthText = text.substring(slash + 1);
            length = lengthText.matches("[0-9]{1,3}") ? Integer.parseInt(lengthText) : -1;
            if (length < 0 || length > maxLength) {
                throw new IllegalArgumentException("the prefix length of an " + (maxLength == 32 ? "IPv4" : "IPv6")
                        + " address is 0 to " + maxLength + ", not '" + lengthText + "'");
            }
        }
        byte[] network = masked(address, length);
        if (!Arrays.equals(network, address)) {
            throw new IllegalArgumentException("host bits are set: did you mean " + IpLiteral.format(network) + "/" + length
                    + " (the network containing " + IpLiteral.format(address) + "), or " + IpLiteral.format(address) + "/"
                    + maxLength + " (that address alone)?");
        }
        byte[] unmapped = IpLiteral.unmap(address);
        if (unmapped.length != address.length && length >= 96) {
            return new Cidr(IpLiteral.toInetAddress(unmapped), length - 96);
        }
        return new Cidr(IpLiteral.toInetAddress(address), length);
    }

    /** Returns whether {@code address} (4 or 16 bytes) lies in this prefix; a different family never does. */
    public boolean contains(byte[] address) {
        byte[] net = network.getAddress();
        if (address.length != net.length) {
            return false;
        }
        int full = prefixLength / 8;
        for (int i = 0; i < full; i++) {
            if (address[i] != net[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xff << (8 - rest);
        return (address[full] & mask) == (net[full] & mask);
    }

    /** Returns the address bytes of the network (a fresh copy). */
    public byte[] networkBytes() {
        return network.getAddress();
    }

    /** Returns {@code 10.0.0.0/8}. */
    @Override
    public String toString() {
        return IpLiteral.format(network) + "/" + prefixLength;
    }

    private static byte[] masked(byte[] address, int length) {
        byte[] out = address.clone();
        for (int bit = length; bit < out.length * 8; bit++) {
            out[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return out;
    }
}
