package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.stack.dns.FakeIpPool;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class NstunAddressesTest {
    @Test
    void theTunAndTheResolverAreNstunsOwnAndOutsideThePool() throws Exception {
        FakeIpPool pool = NstunAddresses.fakeIpPool();
        List<InetAddress> own = List.of(NstunAddresses.TUN_IPV4, NstunAddresses.TUN_IPV6, NstunAddresses.RESOLVER_IPV4, NstunAddresses.RESOLVER_IPV6);
        for (InetAddress a : own) {
            assertTrue(NstunAddresses.contains(a), a + " in nstun's ranges");
            assertFalse(pool.inRange(a), a + " never handed out as a fake address");
        }
        assertEquals(InetAddress.getByName("198.18.0.2"), NstunAddresses.RESOLVER_IPV4);
        assertEquals(InetAddress.getByName("fd4e:5354:554e::2"), NstunAddresses.RESOLVER_IPV6);
        assertEquals(InetAddress.getByName("fd4e:5354:554e::1"), NstunAddresses.TUN_IPV6);
        assertEquals("nameserver 198.18.0.2", NstunAddresses.resolvConf().lines().filter(l -> !l.startsWith("#")).findFirst().orElseThrow());
    }

    @Test
    void thePoolStartsAfterNstunsOwnAddressesAndStaysInItsRanges() throws Exception {
        FakeIpPool pool = NstunAddresses.fakeIpPool();
        InetAddress first4 = pool.addressFor("example.com", false);
        InetAddress first6 = pool.addressFor("example.com", true);
        assertEquals(InetAddress.getByName("198.18.1.0"), first4);
        assertEquals(InetAddress.getByName("fd4e:5354:554e::1:0:0"), first6);
        assertTrue(NstunAddresses.contains(first4) && NstunAddresses.contains(first6));
        assertTrue(NstunAddresses.contains(InetAddress.getByName("198.19.255.254")) && pool.inRange(InetAddress.getByName("198.19.255.254")));
        assertFalse(NstunAddresses.contains(InetAddress.getByName("198.20.0.1")));
        assertFalse(NstunAddresses.contains(InetAddress.getByName("fd4e:5354:554f::1")));
        assertEquals(NstunAddresses.FAKE_IP_CAPACITY, pool.capacity());
    }
}
