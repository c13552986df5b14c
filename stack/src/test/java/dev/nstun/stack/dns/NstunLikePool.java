package dev.nstun.stack.dns;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A pool laid out as the CLI lays out nstun's (its NstunAddresses owns the real one): IPv4
 * 198.18.1.0 to 198.19.255.254 and IPv6 fd4e:5354:554e::1:0:0/96, {@link #CAPACITY} entries, so
 * that the addresses in these tests read like the ones users see.
 */
public final class NstunLikePool {
    public static final int CAPACITY = 65536;

    private NstunLikePool() {}

    /** Returns a new, empty pool. */
    public static FakeIpPool create() {
        try {
            return new FakeIpPool((Inet4Address) InetAddress.getByName("198.18.1.0"), (Inet4Address) InetAddress.getByName("198.19.255.254"),
                    (Inet6Address) InetAddress.getByName("fd4e:5354:554e::1:0:0"), 96, CAPACITY);
        } catch (UnknownHostException e) {
            throw new AssertionError("address literals", e);
        }
    }
}
