package dev.nstun.stack.relay;

import java.util.Arrays;

/**
 * When each flow is next serviced without news: a binary min-heap of flows by deadline, each flow in
 * it at most once, its place kept in the flow ({@link TcpFlow#timerIndex}). A flow's deadline moves
 * in place, and a removed flow leaves at once: the heap holds only live flows with a deadline. (A
 * queue of entries, made anew at each earlier deadline and skipped when stale, held every flow of
 * about the last second under connection churn, thousands (a SYN-ACK arms the 1 s first
 * retransmission timeout), and kept the removed ones alive until their entries came due.)
 * Deadlines are the loop's clock ({@link System#nanoTime}), ordered as plain longs as before.
 */
final class FlowTimers {
    private TcpFlow[] heap = new TcpFlow[64];
    private int size;

    /** Whether no flow has a deadline. */
    boolean isEmpty() {
        return size == 0;
    }

    /** How many flows have a deadline. */
    int size() {
        return size;
    }

    /** Returns the earliest deadline ({@link Long#MAX_VALUE}: none). */
    long nextDeadline() {
        return size == 0 ? Long.MAX_VALUE : heap[0].timerDeadline;
    }

    /** Gives {@code flow} the deadline {@code at}, in place of the one it had, if any. */
    void schedule(TcpFlow flow, long at) {
        int i = flow.timerIndex;
        flow.timerDeadline = at;
        if (i < 0) {
            if (size == heap.length) heap = Arrays.copyOf(heap, size * 2);
            siftUp(size++, flow);
        } else if (i > 0 && at < heap[(i - 1) >>> 1].timerDeadline) {
            siftUp(i, flow);
        } else {
            siftDown(i, flow);
        }
    }

    /** Takes {@code flow}'s deadline away, if it has one. */
    void cancel(TcpFlow flow) {
        int i = flow.timerIndex;
        if (i < 0) return;
        flow.timerIndex = -1;
        flow.timerDeadline = Long.MAX_VALUE;
        TcpFlow last = heap[--size];
        heap[size] = null;
        if (last == flow) return;
        if (i > 0 && last.timerDeadline < heap[(i - 1) >>> 1].timerDeadline) {
            siftUp(i, last);
        } else {
            siftDown(i, last);
        }
    }

    /** Takes the flow whose deadline is earliest out of the heap if that deadline is due at {@code now}; else returns null. */
    TcpFlow pollDue(long now) {
        if (size == 0 || heap[0].timerDeadline - now > 0) return null;
        TcpFlow due = heap[0];
        cancel(due);
        return due;
    }

    /** Forgets every deadline. */
    void clear() {
        for (int i = 0; i < size; i++) {
            heap[i].timerIndex = -1;
            heap[i].timerDeadline = Long.MAX_VALUE;
            heap[i] = null;
        }
        size = 0;
    }

    private void siftUp(int i, TcpFlow flow) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            TcpFlow p = heap[parent];
            if (flow.timerDeadline >= p.timerDeadline) break;
            place(i, p);
            i = parent;
        }
        place(i, flow);
    }

    private void siftDown(int i, TcpFlow flow) {
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            TcpFlow c = heap[child];
            int right = child + 1;
            if (right < size && heap[right].timerDeadline < c.timerDeadline) c = heap[child = right];
            if (flow.timerDeadline <= c.timerDeadline) break;
            place(i, c);
            i = child;
        }
        place(i, flow);
    }

    private void place(int i, TcpFlow flow) {
        heap[i] = flow;
        flow.timerIndex = i;
    }
}
