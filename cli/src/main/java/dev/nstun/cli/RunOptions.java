package dev.nstun.cli;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The options of {@code nstun run} and {@code nstun up} that describe the namespace and what it lets
 * through, as given: {@link RunPlan#of} checks them and turns them into a plan. Shared by both
 * commands; whom the command runs as is {@link CommandOptions}'.
 */
final class RunOptions {
    /** pasta's default: a large MTU cuts per-packet work for bulk transfers by an order of magnitude. */
    static final int DEFAULT_MTU = 65520;

    private final OptionSpec mtu = OptionSpec.builder("--mtu").paramLabel("BYTES").type(int.class).initialValue(0).defaultValue("" + DEFAULT_MTU)
            .description("MTU of the TUN device (${DEFAULT-VALUE}; 1280 to 65535).").build();

    private final OptionSpec pcap = OptionSpec.builder("--pcap").paramLabel("FILE").type(Path.class)
            .description("Write every packet crossing the TUN, both directions, to FILE (pcap, for tcpdump or Wireshark);"
                    + " created with the rights of the user who ran sudo, never through a symbolic link.").build();

    private final OptionSpec policyFile = OptionSpec.builder("-p", "--policy").paramLabel("FILE").type(Path.class)
            .description("Send each flow where this policy file's rules say (docs/policy.md). Without it, every flow goes directly.").build();

    private final OptionSpec socks5Url = OptionSpec.builder("--socks5").paramLabel("URL").type(String.class)
            .description("Send every flow through this SOCKS5 proxy, names resolved there: socks5://[USER[:PASSWORD]@]HOST[:PORT]"
                    + " (port 1080 by default; the password may come from $NSTUN_PROXY_PASSWORD instead). Not with -p.").build();

    private final OptionSpec httpUrl = OptionSpec.builder("--http").paramLabel("URL").type(String.class)
            .description("Send every TCP flow through this HTTP CONNECT proxy: http://[USER[:PASSWORD]@]HOST[:PORT] (port 3128 by default);"
                    + " UDP is refused. Not with -p.").build();

    private final OptionSpec allow = OptionSpec.builder("--allow").paramLabel("PATTERN").type(List.class).auxiliaryTypes(String.class)
            .initialValue(List.of())
            .description("Let flows to PATTERN through; with any --allow, everything else is refused at once (names not allowed get"
                    + " NXDOMAIN) and each refused destination is named on stderr. PATTERN: NAME, *.SUFFIX (subdomains), ADDRESS[/PREFIX]"
                    + " or *, optionally with :PORT or :FROM-TO, tcp: or udp: in front; or tcp:PORT, udp:PORT. Repeatable;"
                    + " with -p, these rules come before the file's (docs/policy.md).").build();

    private final OptionSpec deny = OptionSpec.builder("--deny").paramLabel("PATTERN").type(List.class).auxiliaryTypes(String.class)
            .initialValue(List.of())
            .description("Refuse flows to PATTERN (as for --allow), before any --allow applies. Repeatable.").build();

    private final OptionSpec learnFile = OptionSpec.builder("--learn").paramLabel("FILE").type(Path.class)
            .description("Write FILE at exit: a policy with one rule per destination the command reached (name or address, port,"
                    + " protocol; first seen, flow count) that rejects everything else, for -p FILE next time. The run itself allows"
                    + " everything, or what --allow allows; an existing FILE is added to. Not with -p.").build();

    private final OptionSpec hostLoopback = CommandModel.flag("Let the command reach the host's loopback (127.0.0.1, ::1) at "
            + NstunAddresses.RESOLVER_IPV4_TEXT + " / " + NstunAddresses.RESOLVER_IPV6_TEXT
            + " on any port but 53 (like pasta's --map-host-loopback).", "--host-loopback");

    private final OptionSpec dnsUpstream = OptionSpec.builder("--dns-upstream").paramLabel("[udp://|tcp://]ADDR[:PORT]").type(String.class)
            .description("Where the DNS queries nstun does not answer itself go (default: the policy's dns.upstream;"
                    + " without a policy, the host's first nameserver in /etc/resolv.conf).").build();

    private final OptionSpec report = CommandModel.flag("At exit, say on stderr what the run did, as time(1) does: flows by rule and"
            + " outbound with the bytes sent and received, and the attempts refused, by reason (-v says it too).", "--report");

    private final OptionSpec debugFaults = OptionSpec.builder("--debug-faults").hidden(true).paramLabel("SPEC").type(String.class)
            .description("Testing: drop/reorder/duplicate/corrupt packets both ways, e.g. loss=5,reorder=25,duplicate=5,corrupt=1,seed=42.")
            .build();

    /** Adds the options to {@code command}. */
    void addTo(CommandSpec command) {
        command.addOption(mtu).addOption(pcap).addOption(policyFile).addOption(socks5Url).addOption(httpUrl)
                .addOption(allow).addOption(deny).addOption(learnFile).addOption(hostLoopback).addOption(dnsUpstream).addOption(report)
                .addOption(debugFaults);
    }

    /** Returns --mtu. */
    int mtu() {
        return mtu.getValue();
    }

    /** Returns --pcap FILE, or null. */
    Path pcap() {
        return pcap.getValue();
    }

    /** Returns -p FILE, or null. */
    Path policyFile() {
        return policyFile.getValue();
    }

    /** Returns --socks5 URL, or null. */
    String socks5Url() {
        return socks5Url.getValue();
    }

    /** Returns --http URL, or null. */
    String httpUrl() {
        return httpUrl.getValue();
    }

    /** Returns every --allow PATTERN, in order. */
    List<String> allow() {
        return allow.getValue();
    }

    /** Returns every --deny PATTERN, in order. */
    List<String> deny() {
        return deny.getValue();
    }

    /** Returns --learn FILE, or null. */
    Path learnFile() {
        return learnFile.getValue();
    }

    /** Returns whether --host-loopback was given. */
    boolean hostLoopback() {
        return hostLoopback.getValue();
    }

    /** Returns --dns-upstream, or null. */
    String dnsUpstream() {
        return dnsUpstream.getValue();
    }

    /** Returns whether --report was given. */
    boolean report() {
        return report.getValue();
    }

    /** Returns --debug-faults SPEC, or null. */
    String debugFaults() {
        return debugFaults.getValue();
    }
}
