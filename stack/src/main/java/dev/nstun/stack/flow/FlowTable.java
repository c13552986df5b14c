package dev.nstun.stack.flow;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * Flows by key, least recently used first: bounded (a new flow makes the oldest give way) and
 * expiring when idle. The shape every connectionless flow table of the stack shares (UDP, ICMP
 * echo). Loop thread only.
 */
public final class FlowTable<K, F> {
    /** Access-ordered: iteration starts at the flow used the longest ago. */
    private final LinkedHashMap<K, F> flows = new LinkedHashMap<>(64, 0.75f, true);
    private final int maxFlows;
    private final ToLongFunction<F> deadline;
    private final Consumer<F> close;

    /**
     * @param deadline when a flow expires (nanos), from its last activity
     * @param close    releases a flow's resources when it expires, is evicted or the table closes
     */
    public FlowTable(int maxFlows, ToLongFunction<F> deadline, Consumer<F> close) {
        this.maxFlows = maxFlows;
        this.deadline = deadline;
        this.close = close;
    }

    /** Returns the flow of {@code key}, or null; counts as a use. */
    public F get(K key) {
        return flows.get(key);
    }

    /** Adds a flow, closing the least recently used one first when the table is full. */
    public void add(K key, F flow) {
        if (flows.size() >= maxFlows) {
            Iterator<F> oldest = flows.values().iterator();
            F evicted = oldest.next();
            oldest.remove();
            close.accept(evicted);
        }
        flows.put(key, flow);
    }

    /** Gives every flow to {@code action}, least recently used first, without counting it as a use. */
    public void forEach(Consumer<F> action) {
        flows.values().forEach(action);
    }

    /** Returns the number of flows. */
    public int size() {
        return flows.size();
    }

    /** Closes the flows whose deadline has passed; returns the next deadline, or {@link Long#MAX_VALUE}. */
    public long expire(long nowNanos) {
        long next = Long.MAX_VALUE;
        for (Iterator<F> it = flows.values().iterator(); it.hasNext(); ) {
            F f = it.next();
            long at = deadline.applyAsLong(f);
            if (at - nowNanos <= 0) {
                it.remove();
                close.accept(f);
            } else {
                next = Math.min(next, at);
            }
        }
        return next;
    }

    /** Closes every flow (the loop is ending). */
    public void closeAll() {
        flows.values().forEach(close);
        flows.clear();
    }
}
