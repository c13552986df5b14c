package dev.nstun.policies.probe;

import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.dns.DnsClient;
import dev.nstun.policies.outbound.Connectors;
import dev.nstun.policies.probe.Probe.Result;
import dev.nstun.policies.probe.Probe.Status;
import java.io.IOException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * The DNS part of the probe: one query to the upstream through the DNS outbound, the way the
 * command's queries will go. The query asks for the root's name servers (NS of "."), which any
 * resolver answers from its priming data without sending anything further, so it leaks nothing
 * and cannot fail for a name's own reasons.
 */
final class DnsCheck {
    /** NS of ".", RD set; the id (0) is replaced by a random one. */
    private static final byte[] NS_ROOT = HexFormat.of().parseHex("0000 0100 0001 0000 0000 0000 00 0002 0001".replace(" ", ""));
    private static final String[] RCODES = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
    /** The upstream and outbound a DnsClient message starts with; the line names them already. */
    private static final Pattern CLIENT_PREFIX = Pattern.compile("^DNS upstream \\S+ \\(via outbound [^)]*\\):? ");

    private DnsCheck() {
    }

    /** Returns what the check is about: {@code dns tcp://9.9.9.9:53 via corp}. */
    static String subject(Policy policy) {
        return "dns " + policy.dns().upstream() + " via " + policy.dnsOutbound().name();
    }

    static Result run(Policy policy, Connectors connectors, Duration timeout) {
        Outbound via = policy.dnsOutbound();
        String subject = subject(policy);
        if (via instanceof Outbound.Reject || via instanceof Outbound.Drop) {
            return new Result(Status.SKIPPED, subject, "queries go through a " + via.type() + " outbound, so only the fake-ip answers"
                    + " (A, AAAA) work", Duration.ZERO);
        }
        byte[] query = NS_ROOT.clone();
        int id = ThreadLocalRandom.current().nextInt(1 << 16);
        query[0] = (byte) (id >>> 8);
        query[1] = (byte) id;
        byte[] answer;
        try (DnsClient client = DnsClient.of(policy.dns().upstream(), via, connectors, timeout)) {
            answer = client.exchange(query);
        } catch (IOException e) {
            return new Result(Status.FAIL, subject, CLIENT_PREFIX.matcher(e.getMessage()).replaceFirst(""), Duration.ZERO);
        }
        if (answer.length < 12 || (answer[2] & 0x80) == 0) {
            return new Result(Status.FAIL, subject, "the answer is not a DNS response (" + answer.length + " bytes) — is "
                    + policy.dns().upstream().server() + " a DNS server?", Duration.ZERO);
        }
        int rcode = answer[3] & 0x0f;
        String rcodeName = rcode < RCODES.length ? RCODES[rcode] : "rcode " + rcode;
        int records = (answer[6] & 0xff) << 8 | answer[7] & 0xff;
        if (rcode != 0 && rcode != 3) {
            return new Result(Status.FAIL, subject, "answered NS . with " + rcodeName + " — the upstream does not resolve for"
                    + " nstun; check dns.upstream", Duration.ZERO);
        }
        return new Result(Status.OK, subject, "answered NS . with " + rcodeName + ", " + records + " record" + (records == 1 ? "" : "s"),
                Duration.ZERO);
    }
}
