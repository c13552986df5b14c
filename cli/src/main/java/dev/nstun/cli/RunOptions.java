package dev.nstun.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options of {@code nstun run} and {@code nstun up} that describe the namespace and what it lets
 * through, as given: {@link RunPlan#of} checks them and turns them into a plan. A mixin; whom the
 * command runs as is {@link CommandOptions}'.
 */
final class RunOptions {
    /** pasta's default: a large MTU cuts per-packet work for bulk transfers by an order of magnitude. */
    static final int DEFAULT_MTU = 65520;

    @Option(names = "--mtu", paramLabel = "BYTES", defaultValue = "" + DEFAULT_MTU,
            description = "MTU of the TUN device (${DEFAULT-VALUE}; 1280 to 65535).")
    int mtu;

    @Option(names = "--pcap", paramLabel = "FILE",
            description = "Write every packet crossing the TUN, both directions, to FILE (pcap, for tcpdump or Wireshark);"
                    + " created with the rights of the user who ran sudo, never through a symbolic link.")
    Path pcap;

    @Option(names = {"-p", "--policy"}, paramLabel = "FILE",
            description = "Send each flow where this policy file's rules say (docs/policy.md). Without it, every flow goes directly.")
    Path policyFile;

    @Option(names = "--socks5", paramLabel = "URL",
            description = "Send every flow through this SOCKS5 proxy, names resolved there: socks5://[USER[:PASSWORD]@]HOST[:PORT]"
                    + " (port 1080 by default; the password may come from $NSTUN_PROXY_PASSWORD instead). Not with -p.")
    String socks5Url;

    @Option(names = "--http", paramLabel = "URL",
            description = "Send every TCP flow through this HTTP CONNECT proxy: http://[USER[:PASSWORD]@]HOST[:PORT] (port 3128 by default);"
                    + " UDP is refused. Not with -p.")
    String httpUrl;

    @Option(names = "--allow", paramLabel = "PATTERN",
            description = "Let flows to PATTERN through; with any --allow, everything else is refused at once (names not allowed get"
                    + " NXDOMAIN) and each refused destination is named on stderr. PATTERN: NAME, *.SUFFIX (subdomains), ADDRESS[/PREFIX]"
                    + " or *, optionally with :PORT or :FROM-TO, tcp: or udp: in front; or tcp:PORT, udp:PORT. Repeatable;"
                    + " with -p, these rules come before the file's (docs/policy.md).")
    List<String> allow = new ArrayList<>();

    @Option(names = "--deny", paramLabel = "PATTERN",
            description = "Refuse flows to PATTERN (as for --allow), before any --allow applies. Repeatable.")
    List<String> deny = new ArrayList<>();

    @Option(names = "--learn", paramLabel = "FILE",
            description = "Write FILE at exit: a policy with one rule per destination the command reached (name or address, port,"
                    + " protocol; first seen, flow count) that rejects everything else, for -p FILE next time. The run itself allows"
                    + " everything, or what --allow allows; an existing FILE is added to. Not with -p.")
    Path learnFile;

    @Option(names = "--host-loopback",
            description = "Let the command reach the host's loopback (127.0.0.1, ::1) at " + NstunAddresses.RESOLVER_IPV4_TEXT
                    + " / " + NstunAddresses.RESOLVER_IPV6_TEXT
                    + " on any port but 53 (like pasta's --map-host-loopback).")
    boolean hostLoopback;

    @Option(names = "--dns-upstream", paramLabel = "[udp://|tcp://]ADDR[:PORT]",
            description = "Where the DNS queries nstun does not answer itself go (default: the policy's dns.upstream;"
                    + " without a policy, the host's first nameserver in /etc/resolv.conf).")
    String dnsUpstream;

    @Option(names = "--report",
            description = "At exit, say on stderr what the run did, as time(1) does: flows by rule and outbound with the bytes sent and"
                    + " received, and the attempts refused, by reason (-v says it too).")
    boolean report;

    @Option(names = "--debug-faults", hidden = true, paramLabel = "SPEC",
            description = "Testing: drop/reorder/duplicate/corrupt packets both ways, e.g. loss=5,reorder=25,duplicate=5,corrupt=1,seed=42.")
    String debugFaults;
}
