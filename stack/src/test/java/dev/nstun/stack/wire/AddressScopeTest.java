package dev.nstun.stack.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AddressScopeTest {

    /** Each address, the first and last of its range where a range ends, and its neighbours outside. */
    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({
            "0.0.0.0, UNSPECIFIED", "0.255.255.255, UNSPECIFIED", "1.0.0.0, UNICAST",
            "126.255.255.255, UNICAST", "127.0.0.0, LOOPBACK", "127.0.0.1, LOOPBACK", "127.255.255.255, LOOPBACK", "128.0.0.0, UNICAST",
            "169.254.169.254, UNICAST", "198.18.0.2, UNICAST",
            "223.255.255.255, UNICAST", "224.0.0.0, MULTICAST", "224.0.0.251, MULTICAST", "239.255.255.255, MULTICAST",
            "240.0.0.0, RESERVED", "255.255.255.254, RESERVED", "255.255.255.255, BROADCAST",
            "::, UNSPECIFIED", "::1, LOOPBACK", "::2, RESERVED", "::7f00:1, RESERVED", "::ffff:ffff, RESERVED",
            "::1:0:0, UNICAST", "::1:0:0:0, UNICAST", "0:0:0:1::, UNICAST",
            "fe80::1, LINK_LOCAL", "febf:ffff::1, LINK_LOCAL", "fe7f::1, UNICAST", "fec0::1, UNICAST",
            "fd4e:5354:554e::2, UNICAST", "2001:db8::1, UNICAST",
            "ff00::, MULTICAST", "ff02::1, MULTICAST", "ff05::1:3, MULTICAST", "feff::1, UNICAST",
    })
    void classifiesRawAddresses(String literal, AddressScope want) throws UnknownHostException {
        byte[] b = InetAddress.getByName(literal).getAddress();
        AddressScope got = b.length == 4
                ? AddressScope.ofIpv4(ByteBuffer.wrap(b).getInt())
                : AddressScope.ofIpv6(ByteBuffer.wrap(b).getLong(0), ByteBuffer.wrap(b).getLong(8));
        assertEquals(want, got, literal + ": got " + got + ", want " + want);
    }

    /** The JDK makes an IPv4-mapped literal an Inet4Address: judged as the IPv4 address a connect would reach. */
    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({"::ffff:127.0.0.1, LOOPBACK", "::ffff:0.0.0.0, UNSPECIFIED", "::ffff:8.8.8.8, UNICAST", "::ffff:224.0.0.1, MULTICAST",
            "127.0.0.1, LOOPBACK", "::1, LOOPBACK", "fe80::1, LINK_LOCAL", "192.0.2.7, UNICAST"})
    void classifiesJdkAddresses(String literal, AddressScope want) throws UnknownHostException {
        assertEquals(want, AddressScope.of(InetAddress.getByName(literal)), literal);
    }

    /** Bytes on the wire keep the mapped form, which a dial would turn into the IPv4 address. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"127.0.0.1", "8.8.8.8", "0.0.0.0"})
    void mappedBytesAreMappedWhateverTheyHold(String v4) throws UnknownHostException {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(InetAddress.getByName(v4).getAddress(), 0, mapped, 12, 4);
        Inet6Address a = Inet6Address.getByAddress(null, mapped, -1);
        assertEquals(AddressScope.IPV4_MAPPED, AddressScope.ofIpv6(Ipv6Packet.high(a), Ipv6Packet.low(a)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"UNICAST, true, true", "LINK_LOCAL, true, false", "LOOPBACK, false, false", "UNSPECIFIED, false, false",
            "RESERVED, false, false", "IPV4_MAPPED, false, false", "MULTICAST, false, false", "BROADCAST, false, false"})
    void sayWhatPacketsMayCarryTheKind(AddressScope scope, boolean validSource, boolean relayable) {
        assertEquals(validSource, scope.validSource(), scope + " as a source");
        assertEquals(relayable, scope.relayable(), scope + " as a destination");
        assertEquals(scope == AddressScope.MULTICAST || scope == AddressScope.BROADCAST, scope.group(), scope + " as a group");
    }

    @Test
    void readsEachEndOfAPacket() {
        Ipv4Packet ip4 = Ipv4Packet.unchecked(ByteBuffer.wrap(CapturedPackets.TCP4_SYN.clone()), 0, CapturedPackets.TCP4_SYN.length);
        ip4.setDestination(0x7f000001);
        assertEquals(AddressScope.UNICAST, AddressScope.ofSource(ip4));
        assertEquals(AddressScope.LOOPBACK, AddressScope.ofDestination(ip4));
        Ipv6Packet ip6 = Ipv6Packet.unchecked(ByteBuffer.wrap(CapturedPackets.TCP6_SYN.clone()), 0, CapturedPackets.TCP6_SYN.length);
        ip6.setSource(0xff02_0000_0000_0000L, 1);
        assertEquals(AddressScope.MULTICAST, AddressScope.ofSource(ip6));
        assertEquals(AddressScope.UNICAST, AddressScope.ofDestination(ip6));
    }
}
