package dev.nstun.cli;

import dev.nstun.netns.Privileges;
import dev.nstun.netns.RunRegistry;
import dev.nstun.policies.config.AccessList;
import dev.nstun.policies.config.Environment;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PolicyException;
import dev.nstun.policies.config.Problem;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the policy file on SIGHUP or {@code nstun reload}: a valid file replaces the policy for
 * new flows; a broken one changes nothing and says why, line and column, in the log and to
 * {@code nstun reload}. A change of {@code dns.mode} takes effect with the next run only (the
 * addresses handed out so far must keep meaning what they meant).
 *
 * <p>Reloads run one at a time on a platform thread of their own, never on the virtual-thread
 * carriers that dials run on: however long a file takes to load, no flow waits for it. Requests
 * that come while one is waiting are one request (the reload that follows reads the file as it is
 * then); a request that comes during a reload gets a reload of its own after it.
 */
final class PolicyReloader {
    private static final Logger log = LoggerFactory.getLogger(PolicyReloader.class);

    private final Path file;
    private final AccessList access;
    private final Environment environment;
    private final UserFiles files;
    /** How nstun runs: a reloaded policy may not ask for more than the first could. */
    private final Privileges.Mode mode;
    private final PolicyDialer dialer;
    private final java.util.function.Consumer<Policy> alsoApply;
    private final RunRegistry registry;
    private final String runId;
    private long reloads;
    /** Guarded by {@code this}: a reload is asked for and has not started. */
    private boolean requested;
    /** Guarded by {@code this}: the reload thread is running (it ends when nothing is asked for). */
    private boolean running;

    /**
     * {@code access}: the command line's --allow/--deny rules, put in front of each new policy;
     * {@code alsoApply} gets each new policy after the dialer (DNS forwarding follows {@code dns.via}).
     */
    PolicyReloader(Path file, AccessList access, Environment environment, UserFiles files, Privileges.Mode mode, PolicyDialer dialer,
                   java.util.function.Consumer<Policy> alsoApply, RunRegistry registry, String runId) {
        this.files = files;
        this.mode = mode;
        this.alsoApply = alsoApply;
        this.file = file;
        this.access = access;
        this.environment = environment;
        this.dialer = dialer;
        this.registry = registry;
        this.runId = runId;
    }

    /** Asks for a reload and returns at once (a signal handler calls this). */
    void request() {
        synchronized (this) {
            requested = true;
            if (running) {
                return;
            }
            running = true;
        }
        Thread.ofPlatform().name("nstun-reload").daemon(true).start(this::reloadWhileRequested);
    }

    private void reloadWhileRequested() {
        while (true) {
            synchronized (this) {
                if (!requested) {
                    running = false;
                    return;
                }
                requested = false;
            }
            reload();
        }
    }

    private void reload() {
        reloads++;
        RunRegistry.ReloadOutcome outcome;
        try {
            Policy next = access.prependTo(files.loadPolicy(file, environment));
            KernelSocketTuner.requireApplicable(next, mode);
            Policy before = dialer.policy();
            dialer.replace(next);
            alsoApply.accept(next);
            String line = "policy reloaded from " + file + ": " + next.outbounds().size() + " outbound(s), " + next.rules().size() + " rule(s)";
            if (next.dns().mode() != before.dns().mode()) {
                line += "; dns.mode " + next.dns().mode().label() + " takes effect with the next run (this one keeps " + before.dns().mode().label() + ")";
            }
            log.info(line);
            outcome = new RunRegistry.ReloadOutcome(reloads, true, List.of(line));
        } catch (PolicyException e) {
            List<String> lines = new java.util.ArrayList<>();
            lines.add("policy NOT reloaded: " + file + " has problems; the previous policy stays in force");
            for (Problem p : e.problems()) lines.add(p.toString());
            lines.forEach(log::warn);
            outcome = new RunRegistry.ReloadOutcome(reloads, false, lines);
        } catch (RuntimeException e) {
            String line = "policy NOT reloaded from " + file + ": " + e;
            log.warn(line);
            outcome = new RunRegistry.ReloadOutcome(reloads, false, List.of(line));
        }
        try {
            registry.recordReload(runId, outcome);
        } catch (IOException e) {
            log.debug("cannot record the reload's outcome: {}", e.getMessage());
        }
    }
}
