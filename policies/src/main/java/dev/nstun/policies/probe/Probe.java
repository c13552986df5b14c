package dev.nstun.policies.probe;

import dev.nstun.policies.config.HostPort;
import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.outbound.Connectors;
import dev.nstun.policies.outbound.Destination;
import dev.nstun.policies.outbound.ProxyProbe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code nstun check --probe}: tries what a valid policy will rely on, before anything depends on
 * it. Each socks5 and http outbound is connected to, authenticated with, asked to CONNECT to the
 * DNS upstream and, with {@code udp: true}, for a UDP ASSOCIATE ({@link ProxyProbe}); then one
 * DNS query (NS of the root) goes to {@code dns.upstream} through {@code dns.via}, as the command's
 * queries will ({@link DnsCheck}). Direct outbounds are not probed: they would only test the host's
 * own network. All checks run at once, each within its timeout; the results come in policy order,
 * the DNS check last.
 */
public final class Probe {
    /** How long each check may take. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    /** How a check ended. */
    public enum Status {
        OK("ok"),
        FAIL("FAIL"),
        SKIPPED("skip");

        private final String label;

        Status(String label) {
            this.label = label;
        }

        /** Returns the word a line starts with. */
        public String label() {
            return label;
        }
    }

    /**
     * One check's result.
     *
     * @param subject what was checked: {@code corp socks5 10.0.0.5:1080}, {@code dns tcp://9.9.9.9:53 via corp}
     * @param detail  what was done, and on failure what went wrong and what to check
     * @param took    how long it took
     */
    public record Result(Status status, String subject, String detail, Duration took) {
        public Result {
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(detail, "detail");
            Objects.requireNonNull(took, "took");
        }

        /** Returns the line {@code nstun check --probe} prints: {@code ok   corp socks5 10.0.0.5:1080: connected, … (12 ms)}. */
        public String line() {
            String line = "%-4s %s: %s".formatted(status.label(), subject, detail);
            return status == Status.SKIPPED ? line : line + " (" + took.toMillis() + " ms)";
        }
    }

    /** A check to run: what it is about, and how to run it. */
    private record Check(String subject, Callable<Result> run) {
    }

    private Probe() {
    }

    /** Runs every check of {@code policy}, each within {@code timeout}; blocking. */
    public static List<Result> run(Policy policy, Connectors connectors, Duration timeout) {
        HostPort upstream = policy.dns().upstream().server();
        Destination testDestination = Destination.of(upstream.host(), upstream.port());
        List<Check> checks = new ArrayList<>();
        for (Outbound outbound : policy.outbounds().values()) {
            if (outbound instanceof Outbound.Socks5 || outbound instanceof Outbound.Http) {
                String subject = outbound.name() + " " + outbound.type() + " " + server(outbound);
                checks.add(new Check(subject, () -> {
                    ProxyProbe.Outcome outcome = ProxyProbe.probe(outbound, testDestination, timeout);
                    return new Result(outcome.ok() ? Status.OK : Status.FAIL, subject, outcome.detail(), Duration.ZERO);
                }));
            }
        }
        checks.add(new Check(DnsCheck.subject(policy), () -> DnsCheck.run(policy, connectors, timeout)));
        return runAll(checks, timeout);
    }

    private static List<Result> runAll(List<Check> checks, Duration timeout) {
        // A socks5 check takes up to two timeouts (CONNECT, then UDP ASSOCIATE); the margin only
        // guards against a check that overstays its own bounds.
        Duration limit = timeout.multipliedBy(2).plusSeconds(1);
        List<Result> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Result>> futures = new ArrayList<>();
            for (Check check : checks) {
                futures.add(threads.submit(() -> timed(check)));
            }
            long end = System.nanoTime() + limit.toNanos();
            for (int i = 0; i < futures.size(); i++) {
                results.add(outcome(checks.get(i).subject(), futures.get(i), end, limit));
            }
            threads.shutdownNow();
        }
        return results;
    }

    private static Result outcome(String subject, Future<Result> future, long end, Duration limit) {
        try {
            return future.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            return new Result(Status.FAIL, subject, "did not finish within " + limit.toMillis() + " ms", limit);
        } catch (ExecutionException e) {
            return new Result(Status.FAIL, subject, "the check failed: " + e.getCause(), Duration.ZERO);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(Status.FAIL, subject, "interrupted", Duration.ZERO);
        }
    }

    /** Runs {@code check} and puts how long it took into its result. */
    private static Result timed(Check check) throws Exception {
        long start = System.nanoTime();
        Result result = check.run().call();
        return new Result(result.status(), check.subject(), result.detail(), Duration.ofNanos(System.nanoTime() - start));
    }

    private static String server(Outbound outbound) {
        return switch (outbound) {
            case Outbound.Socks5 s -> s.server().toString();
            case Outbound.Http h -> h.server().toString();
            default -> "";
        };
    }
}
