package dev.nstun.policies.config;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A whole policy from one proxy URL, for the common case "everything through this proxy":
 * <pre>
 * socks5://[USER[:PASSWORD]@]HOST[:PORT]     port 1080 by default
 * socks5h://…                                the same (names always go to the proxy)
 * http://[USER[:PASSWORD]@]HOST[:PORT]       port 3128 by default (squid's)
 * </pre>
 * The policy has one outbound, {@value #OUTBOUND_NAME}, a final rule sending every flow to it, and
 * the DNS defaults of a policy file (fake-ip, {@code tcp://9.9.9.9:53} through the proxy). A socks5
 * proxy gets {@code udp: true}: whether it really supports UDP ASSOCIATE is found out at the first
 * UDP flow, and if not, UDP flows are refused from then on.
 *
 * <p>User and password are percent-decoded ({@code %40} for {@code @}, {@code %3A} for {@code :}).
 * A URL with a user and no password takes the password from {@value #PASSWORD_VARIABLE}, which
 * keeps it out of the command line and the shell history. IPv6 addresses go in brackets:
 * {@code socks5://[::1]:1080}. Nothing is resolved or contacted here.
 */
public final class ProxyUrl {
    /** The outbound's name, as logs and {@code nstun check --probe} show it. */
    public static final String OUTBOUND_NAME = "proxy";
    /** The environment variable a URL's password comes from when the URL has a user and no password. */
    public static final String PASSWORD_VARIABLE = "NSTUN_PROXY_PASSWORD";
    /** Port of a socks5:// URL without one (RFC 1928's). */
    public static final int SOCKS_DEFAULT_PORT = 1080;
    /** Port of an http:// URL without one: squid's, the most common proxy's (tinyproxy's is 8888). */
    public static final int HTTP_DEFAULT_PORT = 3128;

    /** Where problems say they are: the URL has no lines. */
    private static final String ORIGIN = "proxy URL";
    private static final String FORM = "SCHEME://[USER[:PASSWORD]@]HOST[:PORT] with SCHEME socks5, socks5h or http,"
            + " e.g. socks5://alice@proxy.example:1080";
    private static final Set<String> SCHEMES = Set.of("socks5", "socks5h", "http");
    private static final int MAX_SOCKS_CREDENTIAL_BYTES = 255;

    private ProxyUrl() {
    }

    /**
     * Returns the policy "every flow through the proxy at {@code url}".
     *
     * @param environment where {@value #PASSWORD_VARIABLE} is read
     * @throws PolicyException with one problem saying what is wrong with the URL and how a right one looks
     */
    public static Policy policyOf(String url, Environment environment) throws PolicyException {
        Outbound proxy = outboundOf(url, environment);
        Map<String, Outbound> outbounds = new LinkedHashMap<>();
        outbounds.put(proxy.name(), proxy);
        for (Outbound builtIn : Outbound.builtIns()) {
            outbounds.put(builtIn.name(), builtIn);
        }
        String source = proxy.location().file();
        return new Policy(source, outbounds, List.of(Rule.implicitFinal(0, OUTBOUND_NAME, source)), DnsSettings.DEFAULT);
    }

    /**
     * Returns the outbound {@value #OUTBOUND_NAME} for the proxy at {@code url}.
     *
     * @throws PolicyException with one problem saying what is wrong with the URL
     */
    public static Outbound outboundOf(String url, Environment environment) throws PolicyException {
        String text = url == null ? "" : url.strip();
        if (text.isEmpty()) {
            throw problem("empty proxy URL: expected " + FORM);
        }
        String shown = redact(text);
        int schemeEnd = text.indexOf("://");
        if (schemeEnd < 0) {
            throw problem(quote(shown) + " has no scheme: expected " + FORM);
        }
        String scheme = text.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
        if (!SCHEMES.contains(scheme)) {
            throw problem("unsupported scheme " + quote(scheme) + " in " + quote(shown) + schemeHint(scheme) + ": expected " + FORM);
        }
        // The last '@' ends the user and password, so that an unencoded '@', '/' or '#' in a password still works.
        String authority = text.substring(schemeEnd + 3);
        int at = authority.lastIndexOf('@');
        String hostPort = authority.substring(at + 1);
        if (hostPort.endsWith("/")) {
            hostPort = hostPort.substring(0, hostPort.length() - 1);
        }
        int extra = firstOf(hostPort, "/?#");
        if (extra >= 0) {
            throw problem(quote(shown) + " has " + quote(hostPort.substring(extra)) + " after the host: a proxy URL ends"
                    + " with HOST[:PORT], e.g. " + scheme + "://proxy.example:" + defaultPort(scheme));
        }
        boolean socks = !scheme.equals("http");
        Optional<Credentials> credentials = at < 0 ? Optional.empty()
                : Optional.of(credentials(authority.substring(0, at), socks, scheme, hostPort, shown, environment));
        HostPort server = server(hostPort, scheme, shown);
        Location location = Location.nowhere(scheme + "://" + credentials.map(c -> encodeUser(c.username()) + "@").orElse("") + server);
        return socks
                ? new Outbound.Socks5(OUTBOUND_NAME, server, credentials, true, Outbound.DEFAULT_CONNECT_TIMEOUT, location)
                : new Outbound.Http(OUTBOUND_NAME, server, credentials, Outbound.DEFAULT_CONNECT_TIMEOUT, location);
    }

    /** Returns {@code url} with its password, if it has one, replaced by {@code ***}: safe for messages and logs. */
    public static String redact(String url) {
        int schemeEnd = url.indexOf("://");
        int start = schemeEnd < 0 ? 0 : schemeEnd + 3;
        int at = url.lastIndexOf('@');
        int colon = url.indexOf(':', start);
        return at < start || colon < 0 || colon > at ? url : url.substring(0, colon + 1) + "***" + url.substring(at);
    }

    private static Credentials credentials(String userInfo, boolean socks, String scheme, String hostPort, String shown,
                                           Environment environment) throws PolicyException {
        int colon = userInfo.indexOf(':');
        String user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon), "user name", shown);
        if (user.isEmpty()) {
            throw problem(quote(shown) + " has an empty user name before '@': write " + scheme + "://USER@" + hostPort
                    + " (password in " + PASSWORD_VARIABLE + "), or leave out '@' for a proxy without authentication");
        }
        String password;
        if (colon >= 0) {
            password = decode(userInfo.substring(colon + 1), "password", shown);
            if (password.isEmpty()) {
                throw problem(quote(shown) + " has an empty password after '" + user + ":': leave it out and set " + PASSWORD_VARIABLE
                        + ", or write the password");
            }
        } else {
            Optional<String> fromEnvironment = environment.variable(PASSWORD_VARIABLE);
            if (fromEnvironment.isEmpty() || fromEnvironment.get().isEmpty()) {
                throw problem(quote(shown) + " names user " + user + " but no password, and " + PASSWORD_VARIABLE + " is "
                        + (fromEnvironment.isEmpty() ? "not set" : "empty") + ": set " + PASSWORD_VARIABLE + " (it keeps the password"
                        + " out of the command line and shell history), or write " + scheme + "://" + encodeUser(user) + ":PASSWORD@"
                        + hostPort);
            }
            password = fromEnvironment.get();
        }
        if (socks) {
            checkSocksLength("user name", user, shown);
            checkSocksLength("password", password, shown);
        } else if (user.indexOf(':') >= 0) {
            throw problem(quote(shown) + ": an HTTP basic-auth user name cannot contain ':'");
        }
        return new Credentials(user, password);
    }

    private static HostPort server(String hostPort, String scheme, String shown) throws PolicyException {
        if (hostPort.isEmpty()) {
            throw problem(quote(shown) + " has no host: expected " + FORM);
        }
        if (!hostPort.startsWith("[") && hostPort.indexOf(':') != hostPort.lastIndexOf(':')) {
            throw problem(quote(shown) + ": write an IPv6 address in brackets, e.g. " + scheme + "://[::1]:" + defaultPort(scheme));
        }
        try {
            return HostPort.parse(hostPort, defaultPort(scheme));
        } catch (IllegalArgumentException e) {
            throw problem("invalid proxy " + quote(shown) + ": " + withoutDnsExample(e.getMessage()) + " (expected " + FORM + ")");
        }
    }

    /** HostPort's messages end with an example for DNS upstreams; a proxy URL has its own. */
    private static String withoutDnsExample(String message) {
        int expected = message.indexOf(": expected ");
        return expected < 0 ? message : message.substring(0, expected);
    }

    private static int defaultPort(String scheme) {
        return scheme.equals("http") ? HTTP_DEFAULT_PORT : SOCKS_DEFAULT_PORT;
    }

    private static String schemeHint(String scheme) {
        return switch (scheme) {
            case "socks", "socks5a" -> " (write socks5://)";
            case "socks4", "socks4a" -> " (SOCKS4 is not supported; most SOCKS4 proxies speak SOCKS5 too)";
            case "https" -> " (TLS to the proxy is not supported; http:// if the proxy also speaks plain HTTP)";
            default -> "";
        };
    }

    /** Percent-decodes {@code text} (RFC 3986 §2.1) as UTF-8; '+' stays '+'. */
    private static String decode(String text, String what, String shown) throws PolicyException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '%') {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
                continue;
            }
            int high = i + 2 < text.length() ? Character.digit(text.charAt(i + 1), 16) : -1;
            int low = i + 2 < text.length() ? Character.digit(text.charAt(i + 2), 16) : -1;
            if (high < 0 || low < 0) {
                String bad = text.substring(i, Math.min(text.length(), i + 3));
                throw problem(quote(shown) + ": invalid percent-encoding " + quote(what.equals("password") ? "%…" : bad) + " in the "
                        + what + ": write '%' and two hex digits, e.g. %40 for '@', %3A for ':', %25 for '%'");
            }
            bytes.write(high << 4 | low);
            i += 2;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw problem(quote(shown) + ": the " + what + " is not UTF-8 once percent-decoded");
        }
    }

    /** Returns {@code user} as a URL writes it: the characters that would end it percent-encoded. */
    private static String encodeUser(String user) {
        StringBuilder out = new StringBuilder();
        for (byte b : user.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c > ' ' && c < 0x7f && ":@/?#%[]".indexOf(c) < 0) {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    private static void checkSocksLength(String what, String value, String shown) throws PolicyException {
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_SOCKS_CREDENTIAL_BYTES) {
            throw problem(quote(shown) + ": a SOCKS5 " + what + " is 1 to 255 bytes long (RFC 1929), this one is " + bytes);
        }
    }

    private static int firstOf(String text, String characters) {
        for (int i = 0; i < text.length(); i++) {
            if (characters.indexOf(text.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private static String quote(String text) {
        return "'" + text + "'";
    }

    private static PolicyException problem(String message) {
        return new PolicyException(new ArrayList<>(List.of(Problem.at(Location.nowhere(ORIGIN), message))));
    }
}
