package dev.nstun.policies.rules;

import dev.nstun.policies.config.Outbound;
import dev.nstun.policies.config.Rule;

/** The first rule that matched a flow, and the outbound it names. */
public record Match(Rule rule, Outbound outbound) {
}
