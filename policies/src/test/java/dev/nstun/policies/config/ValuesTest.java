package dev.nstun.policies.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The small value types: IP literals, prefixes, host:port, durations, suggestions. */
class ValuesTest {

    @Nested
    class IpLiterals {
        @ParameterizedTest
        @CsvSource({
            "0.0.0.0, 0.0.0.0",
            "255.255.255.255, 255.255.255.255",
            "::, ::",
            "::1, ::1",
            "2001:DB8::1, 2001:db8::1",
            "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
            "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
            "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
            "fe80:0000:0000:0000:0000:0000:0000:0001, fe80::1",
            "::ffff:10.1.2.3, 10.1.2.3",
            "64:ff9b::192.0.2.33, 64:ff9b::c000:221",
            "1:2:3:4:5:6:7::, 1:2:3:4:5:6:7:0",
        })
        void parseAndFormat(String text, String canonical) {
            // InetAddress turns IPv4-mapped IPv6 into IPv4 by itself; format(byte[]) keeps the mapped form.
            assertEquals(canonical, IpLiteral.format(IpLiteral.parse(text).orElseThrow()));
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d", "1:2:3:4:5:6:7:8:9",
            "1::2::3", ":1:2:3:4:5:6:7", "12345::", "g::", "fe80::1%eth0", "1.2.3.4::", "::1.2.3", "1:2:3:4:5:6:7:8::",
            "example.com", " 1.2.3.4"})
        void refuses(String text) {
            assertTrue(IpLiteral.parse(text).isEmpty(), text);
        }

        @Test
        void formatKeepsMappedBytesMapped() {
            assertEquals("::ffff:10.1.2.3", IpLiteral.format(IpLiteral.parseBytes("::ffff:10.1.2.3").orElseThrow()));
        }

        @Test
        void unmapTurnsMappedIpv6IntoIpv4() {
            byte[] mapped = IpLiteral.parseBytes("::ffff:10.1.2.3").orElseThrow();
            assertArrayEquals(new byte[] {10, 1, 2, 3}, IpLiteral.unmap(mapped));
            byte[] other = IpLiteral.parse("::1").orElseThrow().getAddress();
            assertArrayEquals(other, IpLiteral.unmap(other));
        }
    }

    @Nested
    class Cidrs {
        @Test
        void containsUpToThePrefixLength() {
            Cidr c = Cidr.parse("10.0.0.0/9");
            assertTrue(c.contains(new byte[] {10, 127, (byte) 255, (byte) 255}));
            assertFalse(c.contains(new byte[] {10, (byte) 128, 0, 0}));
            assertFalse(c.contains(new byte[16]));
        }

        @Test
        void zeroLengthContainsItsWholeFamily() {
            assertTrue(Cidr.parse("::/0").contains(IpLiteral.parse("2001:db8::1").orElseThrow().getAddress()));
            assertFalse(Cidr.parse("::/0").contains(new byte[] {1, 2, 3, 4}));
        }

        @Test
        void mappedPrefixBecomesIpv4() {
            assertEquals("10.0.0.0/8", Cidr.parse("::ffff:10.0.0.0/104").toString());
        }

        @Test
        void hostBitsNameBothLikelyMeanings() {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse("192.168.1.7/24"));
            assertEquals("host bits are set: did you mean 192.168.1.0/24 (the network containing 192.168.1.7), or "
                    + "192.168.1.7/32 (that address alone)?", e.getMessage());
        }
    }

    @Nested
    class HostPorts {
        @ParameterizedTest
        @CsvSource({
            "10.0.0.5:1080, 10.0.0.5, 1080, 10.0.0.5:1080",
            "[fd00::1]:1080, fd00::1, 1080, [fd00::1]:1080",
            "proxy.example:3128, proxy.example, 3128, proxy.example:3128",
            "proxy.example.:3128, proxy.example., 3128, proxy.example.:3128",
        })
        void parses(String text, String host, int port, String printed) {
            HostPort hp = HostPort.parse(text, 0);
            assertEquals(new HostPort(host, port), hp);
            assertEquals(printed, hp.toString());
        }

        @Test
        void defaultPortAllowsHostAlone() {
            assertEquals(new HostPort("9.9.9.9", 53), HostPort.parse("9.9.9.9", 53));
            assertEquals(new HostPort("2620:fe::fe", 53), HostPort.parse("2620:fe::fe", 53));
            assertEquals(new HostPort("2620:fe::fe", 53), HostPort.parse("[2620:fe::fe]", 53));
        }

        @Test
        void addressOnlyForLiterals() {
            assertTrue(HostPort.parse("10.0.0.5:1", 0).address().isPresent());
            assertTrue(HostPort.parse("localhost:1", 0).address().isEmpty());
        }
    }

    @Nested
    class DurationsAndWords {
        @Test
        void durations() {
            assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
            assertEquals(Duration.ofMinutes(2), Durations.parse("2m"));
            assertEquals("1500ms", Durations.format(Duration.ofMillis(1500)));
            assertEquals("10s", Durations.format(Duration.ofSeconds(10)));
            assertEquals("10m", Durations.format(Durations.MAX));
            assertThrows(IllegalArgumentException.class, () -> Durations.parse("10m1ms"));
        }

        @Test
        void suggestions() {
            List<String> keys = RuleReader.KEYS;
            assertEquals("outbound", Suggest.closest("outbond", keys).orElseThrow());
            assertEquals("domain-suffix", Suggest.closest("domain_suffix", keys).orElseThrow());
            assertEquals("domain-suffix", Suggest.closest("domian-suffix", keys).orElseThrow());
            assertEquals("network", Suggest.closest("NETWORK", keys).orElseThrow());
            assertTrue(Suggest.closest("colour", keys).isEmpty());
            assertEquals(1, Suggest.distance("ab", "ba"));
        }
    }
}
