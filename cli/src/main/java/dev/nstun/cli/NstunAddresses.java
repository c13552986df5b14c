package dev.nstun.cli;

import java.net.InetAddress;

/** The addresses that are nstun's own inside the namespace: 198.18.0.0/15 and fd4e:5354:554e::/48. */
final class NstunAddresses {
    private NstunAddresses() {}

    /** Returns whether {@code a} lies in nstun's own ranges (TUN, resolver, and later the fake-IP pool). */
    static boolean contains(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4) return (b[0] & 0xff) == 198 && (b[1] & 0xfe) == 18;
        return (b[0] & 0xff) == 0xfd && b[1] == 0x4e && b[2] == 0x53 && b[3] == 0x54 && b[4] == 0x55 && b[5] == 0x4e;
    }
}
