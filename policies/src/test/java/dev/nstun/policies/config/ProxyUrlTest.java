package dev.nstun.policies.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nstun.policies.rules.FlowKey;
import dev.nstun.policies.rules.RuleMatcher;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link ProxyUrl}: URLs to policies, and what the error says for each kind of wrong URL. */
class ProxyUrlTest {
    private static final FakeEnvironment NO_PASSWORD = new FakeEnvironment();
    private static final FakeEnvironment PASSWORD = new FakeEnvironment().withVariable("NSTUN_PROXY_PASSWORD", "from-env");

    private static Outbound outbound(String url, Environment environment) throws PolicyException {
        return ProxyUrl.outboundOf(url, environment);
    }

    private static String problem(String url, Environment environment) {
        PolicyException e = assertThrows(PolicyException.class, () -> ProxyUrl.outboundOf(url, environment));
        assertEquals(1, e.problems().size());
        return e.problems().get(0).toString();
    }

    @Nested
    class Valid {
        @ParameterizedTest(name = "{0}")
        @CsvSource(delimiter = '|', textBlock = """
                socks5://127.0.0.1:1080               | socks5 127.0.0.1:1080, udp
                socks5://proxy.example                | socks5 proxy.example:1080, udp
                SOCKS5H://proxy.example:9050/         | socks5 proxy.example:9050, udp
                socks5://[::1]:1081                   | socks5 [::1]:1081, udp
                socks5://[fd00::5]                    | socks5 [fd00::5]:1080, udp
                http://proxy.example                  | http proxy.example:3128
                http://10.0.0.1:8080                  | http 10.0.0.1:8080
                socks5://alice:s3cret@10.0.0.5:1080   | socks5 10.0.0.5:1080, user alice, udp
                http://bob:pw@proxy.example:3128      | http proxy.example:3128, user bob
                """)
        void describes(String url, String described) throws PolicyException {
            assertEquals(described, outbound(url, NO_PASSWORD).describe());
        }

        @Test
        void userAndPasswordArePercentDecoded() throws PolicyException {
            Outbound.Socks5 proxy = (Outbound.Socks5) outbound("socks5://al%40ice:p%3Aw%2Fd%25+@h:1080", NO_PASSWORD);
            assertEquals(Optional.of(new Credentials("al@ice", "p:w/d%+")), proxy.credentials());
            assertEquals("p\u00e4ss", ((Outbound.Socks5) outbound("socks5://u:p%C3%A4ss@h", NO_PASSWORD)).credentials().orElseThrow()
                    .password());
        }

        @Test
        void anUnencodedAtOrSlashInThePasswordStillWorks() throws PolicyException {
            Outbound.Http proxy = (Outbound.Http) outbound("http://bob:p@ss/w#rd@proxy.example:3128", NO_PASSWORD);
            assertEquals(Optional.of(new Credentials("bob", "p@ss/w#rd")), proxy.credentials());
        }

        @Test
        void aUserWithoutPasswordTakesItFromTheEnvironment() throws PolicyException {
            Outbound.Socks5 proxy = (Outbound.Socks5) outbound("socks5://alice@h:1080", PASSWORD);
            assertEquals(Optional.of(new Credentials("alice", "from-env")), proxy.credentials());
            Outbound.Socks5 inline = (Outbound.Socks5) outbound("socks5://alice:inline@h:1080", PASSWORD);
            assertEquals("inline", inline.credentials().orElseThrow().password(), "the URL's own password wins");
            assertEquals(Optional.empty(), ((Outbound.Socks5) outbound("socks5://h:1080", PASSWORD)).credentials(),
                    "without a user the variable is not used");
        }

        @Test
        void thePolicySendsEverythingThroughTheProxyAndDnsToo() throws PolicyException {
            Policy policy = ProxyUrl.policyOf("socks5://alice:s3cret@127.0.0.1:1080", NO_PASSWORD);
            assertEquals(List.of("proxy", "direct", "reject", "drop"), List.copyOf(policy.outbounds().keySet()));
            assertEquals(1, policy.rules().size());
            assertTrue(policy.finalRule().isCatchAll());
            assertEquals("socks5://alice@127.0.0.1:1080", policy.source(), "no password in the policy's name");
            assertEquals(DnsSettings.DEFAULT, policy.dns());
            assertEquals("proxy", policy.dnsOutbound().name());
            RuleMatcher matcher = RuleMatcher.of(policy);
            assertEquals("proxy", matcher.match(FlowKey.ofDomain("example.com", 443, Network.TCP)).outbound().name());
            assertEquals("proxy", matcher.match(FlowKey.ofDomain("example.com", 443, Network.UDP)).outbound().name());
        }
    }

    @Nested
    class Invalid {
        @Test
        void emptyOrWithoutScheme() {
            assertEquals("proxy URL: empty proxy URL: expected SCHEME://[USER[:PASSWORD]@]HOST[:PORT] with SCHEME socks5, socks5h or"
                    + " http, e.g. socks5://alice@proxy.example:1080", problem("  ", NO_PASSWORD));
            assertEquals("proxy URL: 'proxy.example:1080' has no scheme: expected SCHEME://[USER[:PASSWORD]@]HOST[:PORT] with SCHEME"
                    + " socks5, socks5h or http, e.g. socks5://alice@proxy.example:1080", problem("proxy.example:1080", NO_PASSWORD));
        }

        @Test
        void unsupportedSchemesSayWhatToWriteInstead() {
            assertTrue(problem("socks4://h:1080", NO_PASSWORD).startsWith("proxy URL: unsupported scheme 'socks4' in"
                    + " 'socks4://h:1080' (SOCKS4 is not supported; most SOCKS4 proxies speak SOCKS5 too): expected SCHEME://"));
            assertTrue(problem("https://h", NO_PASSWORD).contains("(TLS to the proxy is not supported; http:// if the proxy also"
                    + " speaks plain HTTP)"));
            assertTrue(problem("socks://h", NO_PASSWORD).contains("'socks' in 'socks://h' (write socks5://)"));
        }

        @Test
        void aPathQueryOrFragmentIsNotAProxy() {
            assertEquals("proxy URL: 'http://h:3128/path' has '/path' after the host: a proxy URL ends with HOST[:PORT], e.g."
                    + " http://proxy.example:3128", problem("http://h:3128/path", NO_PASSWORD));
            assertTrue(problem("socks5://h?x=1", NO_PASSWORD).contains("has '?x=1' after the host"));
        }

        @Test
        void hostsAndPorts() {
            assertEquals("proxy URL: 'socks5://::1:1080': write an IPv6 address in brackets, e.g. socks5://[::1]:1080",
                    problem("socks5://::1:1080", NO_PASSWORD));
            assertEquals("proxy URL: invalid proxy 'socks5://h:99999': port '99999' is not a port number (expected 1 to 65535)"
                    + " (expected SCHEME://[USER[:PASSWORD]@]HOST[:PORT] with SCHEME socks5, socks5h or http, e.g."
                    + " socks5://alice@proxy.example:1080)", problem("socks5://h:99999", NO_PASSWORD));
            assertTrue(problem("socks5://bad_host!:1080", NO_PASSWORD).contains("'bad_host!' is not a valid host name or IP address"));
            assertTrue(problem("socks5://", NO_PASSWORD).contains("'socks5://' has no host"));
            assertTrue(problem("socks5://alice:pw@", NO_PASSWORD).contains("'socks5://alice:***@' has no host"));
        }

        @Test
        void aUserWithoutAnyPassword() {
            assertEquals("proxy URL: 'socks5://alice@h:1080' names user alice but no password, and NSTUN_PROXY_PASSWORD is not set:"
                    + " set NSTUN_PROXY_PASSWORD (it keeps the password out of the command line and shell history), or write"
                    + " socks5://alice:PASSWORD@h:1080", problem("socks5://alice@h:1080", NO_PASSWORD));
            assertTrue(problem("socks5://alice@h", new FakeEnvironment().withVariable("NSTUN_PROXY_PASSWORD", ""))
                    .contains("NSTUN_PROXY_PASSWORD is empty"));
            assertTrue(problem("http://al%40ice@h", NO_PASSWORD).endsWith("or write http://al%40ice:PASSWORD@h"));
        }

        @Test
        void emptyUserOrPassword() {
            assertTrue(problem("socks5://:pw@h", NO_PASSWORD).contains("has an empty user name before '@'"));
            assertEquals("proxy URL: 'socks5://alice:***@h' has an empty password after 'alice:': leave it out and set"
                    + " NSTUN_PROXY_PASSWORD, or write the password", problem("socks5://alice:@h", NO_PASSWORD));
        }

        @Test
        void badPercentEncodingNeverShowsThePassword() {
            String message = problem("socks5://alice:s3cret%zz@h", NO_PASSWORD);
            assertEquals("proxy URL: 'socks5://alice:***@h': invalid percent-encoding '%…' in the password: write '%' and two hex"
                    + " digits, e.g. %40 for '@', %3A for ':', %25 for '%'", message);
            assertFalse(message.contains("s3cret"));
            assertTrue(problem("socks5://al%4@h", NO_PASSWORD).contains("invalid percent-encoding '%4' in the user name"));
            assertTrue(problem("socks5://u:%FF@h", NO_PASSWORD).contains("the password is not UTF-8 once percent-decoded"));
        }

        @Test
        void credentialLimits() {
            assertTrue(problem("socks5://" + "u".repeat(256) + ":pw@h", NO_PASSWORD)
                    .endsWith("a SOCKS5 user name is 1 to 255 bytes long (RFC 1929), this one is 256"));
            assertTrue(problem("http://a%3Ab:pw@h", NO_PASSWORD).endsWith("an HTTP basic-auth user name cannot contain ':'"));
        }
    }

    @Test
    void redactHidesOnlyThePassword() {
        assertEquals("socks5://alice:***@h:1080", ProxyUrl.redact("socks5://alice:s3cret@h:1080"));
        assertEquals("socks5://alice:***@h", ProxyUrl.redact("socks5://alice:p@ss/w@h"));
        assertEquals("socks5://alice@h:1080", ProxyUrl.redact("socks5://alice@h:1080"));
        assertEquals("http://h:3128", ProxyUrl.redact("http://h:3128"));
    }
}
