package dev.nstun.stack.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FakeIpPoolTest {

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** A pool of {@code capacity} entries over 10.0.0.0 .. 10.0.0.255 and fd00::100:0/120. */
    private static FakeIpPool small(int capacity) {
        return new FakeIpPool((Inet4Address) ip("10.0.0.0"), (Inet4Address) ip("10.0.0.255"), (Inet6Address) ip("fd00::100:0"), 120,
                capacity);
    }

    @Test
    void defaultsStartAfterNstunsOwnAddresses() {
        FakeIpPool pool = NstunLikePool.create();
        assertEquals(ip("198.18.1.0"), pool.addressFor("example.com", false));
        assertEquals(ip("fd4e:5354:554e::1:0:0"), pool.addressFor("example.com", true));
        assertEquals(ip("fd4e:5354:554e::1:0:1"), pool.addressFor("example.org", true));
        assertEquals(ip("198.18.1.1"), pool.addressFor("example.org", false));
        assertEquals(2, pool.size());
        assertEquals(NstunLikePool.CAPACITY, pool.capacity());
    }

    @Test
    void sameNameSameAddressWhateverItsCaseOrTrailingDot() {
        FakeIpPool pool = NstunLikePool.create();
        InetAddress first = pool.addressFor("www.example.com", false);
        assertEquals(first, pool.addressFor("WWW.Example.COM.", false));
        assertEquals(first, pool.addressFor("www.example.com", false));
        assertEquals(1, pool.size());
        assertEquals(Optional.of("www.example.com"), pool.nameOf(first));
    }

    @Test
    void bothFamiliesOfANameShareItsEntry() {
        FakeIpPool pool = small(4);
        pool.addressFor("a", false);
        assertEquals(ip("fd00::100:1"), pool.addressFor("b", true));
        assertEquals(ip("10.0.0.1"), pool.addressFor("b", false));
        assertEquals(Optional.of("b"), pool.nameOf(ip("fd00::100:1")));
        assertEquals(Optional.of("b"), pool.nameOf(ip("10.0.0.1").getAddress()));
    }

    @Test
    void leastRecentlyUsedEntryGoesToANewName() {
        FakeIpPool pool = small(3);
        InetAddress a = pool.addressFor("a", false);
        InetAddress b = pool.addressFor("b", false);
        InetAddress c = pool.addressFor("c", false);
        // Use a by address and c by name: b is now the least recently used.
        assertEquals(Optional.of("a"), pool.nameOf(a));
        pool.addressFor("c", true);
        InetAddress d = pool.addressFor("d", false);
        assertEquals(b, d);
        assertEquals(Optional.of("d"), pool.nameOf(b));
        assertEquals(3, pool.size());
        assertEquals(a, pool.addressFor("a", false));
        assertEquals(c, pool.addressFor("c", false));
        // b came back: it takes the entry of the least recently used, now d.
        assertEquals(d, pool.addressFor("b", false));
        assertEquals(Optional.empty(), pool.nameOf(ip("10.0.0.3")), "never handed out");
    }

    @Test
    void capacityOfOneKeepsTheLastName() {
        FakeIpPool pool = small(1);
        InetAddress a = pool.addressFor("a", false);
        assertEquals(a, pool.addressFor("b", false));
        assertEquals(Optional.of("b"), pool.nameOf(a));
        assertEquals(1, pool.size());
    }

    @Test
    void rangeIsTheWholeConfiguredRangeKnownOrNot() {
        FakeIpPool pool = NstunLikePool.create();
        for (String in : List.of("198.18.1.0", "198.18.200.7", "198.19.255.254", "fd4e:5354:554e::1:0:0", "fd4e:5354:554e::1:ffff:ffff")) {
            assertTrue(pool.inRange(ip(in)), in);
            assertEquals(Optional.empty(), pool.nameOf(ip(in)), in);
        }
        for (String out : List.of("198.18.0.1", "198.18.0.2", "198.18.0.255", "198.19.255.255", "198.17.255.255", "10.0.0.1",
                "fd4e:5354:554e::1", "fd4e:5354:554e::2", "fd4e:5354:554e::2:0:0", "fd4e:5354:554e:1::1:0:0", "::1")) {
            assertFalse(pool.inRange(ip(out)), out);
            assertEquals(Optional.empty(), pool.nameOf(ip(out)), out);
        }
        assertFalse(pool.inRange(new byte[5]));
        assertEquals(Optional.empty(), pool.nameOf(new byte[0]));
    }

    @Test
    void slash64Prefix() {
        FakeIpPool pool = new FakeIpPool((Inet4Address) ip("10.0.0.0"), (Inet4Address) ip("10.255.255.255"), (Inet6Address) ip("fd00:0:0:7::"),
                64, 1000);
        assertEquals(ip("fd00:0:0:7::"), pool.addressFor("a", true));
        assertTrue(pool.inRange(ip("fd00:0:0:7:ffff:ffff:ffff:ffff")));
        assertFalse(pool.inRange(ip("fd00:0:0:8::")));
    }

    @Test
    void fullDefaultPoolNeverHandsOutNstunsAddresses() {
        FakeIpPool pool = NstunLikePool.create();
        Set<InetAddress> seen = new HashSet<>();
        InetAddress last4 = null;
        InetAddress last6 = null;
        for (int i = 0; i < NstunLikePool.CAPACITY; i++) {
            last4 = pool.addressFor("n" + i, false);
            last6 = pool.addressFor("n" + i, true);
            assertTrue(pool.inRange(last4) && pool.inRange(last6));
            seen.add(last4);
        }
        assertEquals(NstunLikePool.CAPACITY, seen.size());
        assertEquals(ip("198.19.0.255"), last4);
        assertEquals(ip("fd4e:5354:554e::1:0:ffff"), last6);
        assertFalse(seen.contains(ip("198.18.0.1")) || seen.contains(ip("198.18.0.2")));
        // One more reuses the first entry, the least recently used.
        assertEquals(ip("198.18.1.0"), pool.addressFor("one.more", false));
        assertEquals(NstunLikePool.CAPACITY, pool.size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "a..b", ".a", "a b", "a\\.b", "caf\u00e9.example"})
    void refusesNamesThatAreNoHostNames(String name) {
        assertThrows(IllegalArgumentException.class, () -> NstunLikePool.create().addressFor(name, false));
    }

    @Test
    void refusesOverlongNames() {
        FakeIpPool pool = NstunLikePool.create();
        assertThrows(IllegalArgumentException.class, () -> pool.addressFor("a".repeat(64), false));
        assertThrows(IllegalArgumentException.class, () -> pool.addressFor(("a".repeat(63) + ".").repeat(3) + "d".repeat(62), false));
        pool.addressFor(("a".repeat(63) + ".").repeat(3) + "d".repeat(61), false);
    }

    @Test
    void refusesImpossibleConfigurations() {
        Inet4Address first = (Inet4Address) ip("10.0.0.0");
        Inet4Address last = (Inet4Address) ip("10.0.0.255");
        Inet6Address prefix = (Inet6Address) ip("fd00::100:0");
        assertThrows(IllegalArgumentException.class, () -> new FakeIpPool(first, last, prefix, 120, 257), "more than the IPv4 range");
        assertThrows(IllegalArgumentException.class, () -> new FakeIpPool(first, last, prefix, 124, 17), "more than the IPv6 prefix");
        assertThrows(IllegalArgumentException.class, () -> new FakeIpPool(last, first, prefix, 120, 1), "empty range");
        assertThrows(IllegalArgumentException.class, () -> new FakeIpPool(first, last, (Inet6Address) ip("fd00::100:1"), 120, 1),
                "host bits");
        assertThrows(IllegalArgumentException.class, () -> new FakeIpPool(first, last, prefix, 48, 1), "prefix too short");
        assertThrows(IllegalArgumentException.class, () -> new FakeIpPool(first, last, prefix, 120, 0), "no entries");
        new FakeIpPool(first, last, prefix, 120, 256);
    }

    @Test
    void concurrentUsersAgreeOnEveryName() throws Exception {
        FakeIpPool pool = NstunLikePool.create();
        List<Future<List<InetAddress>>> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 8; t++) {
                boolean ipv6 = t % 2 == 0;
                results.add(threads.submit(() -> {
                    List<InetAddress> addresses = new ArrayList<>();
                    for (int i = 0; i < 2000; i++) {
                        InetAddress a = pool.addressFor("host" + i + ".example", ipv6);
                        pool.nameOf(a);
                        addresses.add(a);
                    }
                    return addresses;
                }));
            }
        }
        assertEquals(2000, pool.size());
        for (int i = 0; i < 2000; i++) {
            InetAddress v4 = pool.addressFor("host" + i + ".example", false);
            InetAddress v6 = pool.addressFor("host" + i + ".example", true);
            for (int t = 0; t < 8; t++) {
                assertEquals(t % 2 == 0 ? v6 : v4, results.get(t).get().get(i));
            }
        }
        assertNotEquals(pool.addressFor("host0.example", false), pool.addressFor("host1.example", false));
    }
}
