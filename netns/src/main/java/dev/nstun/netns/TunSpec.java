package dev.nstun.netns;

import java.net.Inet4Address;
import java.net.Inet6Address;

/** The TUN device inside the namespace: its name, MTU and the addresses it holds. */
public record TunSpec(String name, int mtu, Inet4Address ipv4, int ipv4Prefix, Inet6Address ipv6, int ipv6Prefix) {
    /** Smallest MTU IPv6 allows on a link (RFC 8200 §5). */
    public static final int MIN_MTU = 1280;
    /**
     * Packets the namespace's kernel may queue for nstun to read: the kernel's default of 500 lost
     * about 2,270 of 3,000 DNS queries sent at once. 8192 holds such bursts; TCP's own windows keep
     * bulk transfers far below it, so the bound matters only for datagram floods.
     */
    public static final int TX_QUEUE_LENGTH = 8192;
    /** Largest MTU a TUN device takes. */
    public static final int MAX_MTU = 65535;

    public TunSpec {
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new IllegalArgumentException("MTU " + mtu + " is out of range (expected " + MIN_MTU + " to " + MAX_MTU + ")");
        }
    }
}
