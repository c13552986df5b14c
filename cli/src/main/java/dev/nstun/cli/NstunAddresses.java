package dev.nstun.cli;

import dev.nstun.netns.TunSpec;
import dev.nstun.stack.dns.FakeIpPool;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The address plan inside the namespace, in one place: nstun's ranges are 198.18.0.0/15 (RFC 2544's
 * benchmarking range, as clash uses for fake IPs) and the ULA prefix fd4e:5354:554e::/48 ("NSTUN").
 * In each, .1/::1 is the TUN (the command's side), .2/::2 nstun's resolver (and, with
 * {@code --host-loopback}, the host's loopback), and from 198.18.1.0 / fd4e:5354:554e::1:0:0/96 on
 * the fake-IP pool; the rest of 198.18.0.0/24 is never handed out.
 */
final class NstunAddresses {
    /** The interface name inside the namespace: every namespace has its own, so no collisions. */
    static final String TUN_NAME = "nstun0";
    /** nstun's resolver, as text for the help: where the command's resolv.conf sends its queries. */
    static final String RESOLVER_IPV4_TEXT = "198.18.0.2";
    static final String RESOLVER_IPV6_TEXT = "fd4e:5354:554e::2";

    static final Inet4Address TUN_IPV4 = v4(198, 18, 0, 1);
    static final int TUN_IPV4_PREFIX = 15;
    static final Inet6Address TUN_IPV6 = v6(0, 1);
    static final int TUN_IPV6_PREFIX = 64;
    static final Inet4Address RESOLVER_IPV4 = (Inet4Address) literal(RESOLVER_IPV4_TEXT);
    static final Inet6Address RESOLVER_IPV6 = (Inet6Address) literal(RESOLVER_IPV6_TEXT);

    private static final Inet4Address FAKE_FIRST4 = v4(198, 18, 1, 0);
    private static final Inet4Address FAKE_LAST4 = v4(198, 19, 255, 254);
    private static final Inet6Address FAKE_PREFIX6 = v6(1, 0);
    private static final int FAKE_PREFIX6_LENGTH = 96;
    /** Entries of the fake-IP pool: names remembered at once before the least recently used is reused. */
    static final int FAKE_IP_CAPACITY = 65536;

    private NstunAddresses() {}

    /** Returns whether {@code a} lies in nstun's own ranges (TUN, resolver, fake-IP pool). */
    static boolean contains(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4) return (b[0] & 0xff) == 198 && (b[1] & 0xfe) == 18;
        return (b[0] & 0xff) == 0xfd && b[1] == 0x4e && b[2] == 0x53 && b[3] == 0x54 && b[4] == 0x55 && b[5] == 0x4e;
    }

    /** Returns the TUN device of a namespace: its name, {@code mtu}, and the command's side's addresses. */
    static TunSpec tun(int mtu) {
        return new TunSpec(TUN_NAME, mtu, TUN_IPV4, TUN_IPV4_PREFIX, TUN_IPV6, TUN_IPV6_PREFIX);
    }

    /** Returns nstun's own addresses on the link: the stack answers pings to them and sends its ICMP errors from them. */
    static List<InetAddress> resolvers() {
        return List.of(RESOLVER_IPV4, RESOLVER_IPV6);
    }

    /** Returns a new, empty fake-IP pool over nstun's range. */
    static FakeIpPool fakeIpPool() {
        return new FakeIpPool(FAKE_FIRST4, FAKE_LAST4, FAKE_PREFIX6, FAKE_PREFIX6_LENGTH, FAKE_IP_CAPACITY);
    }

    /** Returns the command's /etc/resolv.conf: every query to nstun's resolver on the TUN. */
    static String resolvConf() {
        return "# Written by nstun: DNS goes to nstun's resolver on the TUN.\nnameserver " + RESOLVER_IPV4_TEXT + "\n";
    }

    private static InetAddress literal(String address) {
        try {
            return InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            throw new AssertionError("an address literal", e);
        }
    }

    private static Inet4Address v4(int a, int b, int c, int d) {
        try {
            return (Inet4Address) InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (UnknownHostException e) {
            throw new AssertionError("four bytes", e);
        }
    }

    /** Returns fd4e:5354:554e::{@code group6}:0:{@code last}, an address of nstun's ULA prefix. */
    private static Inet6Address v6(int group6, int last) {
        byte[] b = {(byte) 0xfd, 0x4e, 0x53, 0x54, 0x55, 0x4e, 0, 0, 0, 0, (byte) (group6 >> 8), (byte) group6, 0, 0, 0, (byte) last};
        try {
            return (Inet6Address) InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError("sixteen bytes", e);
        }
    }
}
