package dev.nstun.stack.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The written-out equals and hashCode of the flow tables' keys: each field counts, equal keys hash alike. */
class FlowKeyTest {
    private static final FlowKey KEY = new FlowKey(0, 0xc6120001L, 0, 0xcb007107L, 40000 << 16 | 80, false);

    @Test
    void keysOfOneTupleAreEqualAndHashAlike() {
        FlowKey same = new FlowKey(0, 0xc6120001L, 0, 0xcb007107L, 40000 << 16 | 80, false);
        assertEquals(KEY, same, "equal keys");
        assertEquals(KEY.hashCode(), same.hashCode(), "hashes of equal keys");
    }

    @Test
    void everyFieldTellsKeysApart() {
        List<FlowKey> others = List.of(
                new FlowKey(1, 0xc6120001L, 0, 0xcb007107L, 40000 << 16 | 80, false),
                new FlowKey(0, 0xc6120002L, 0, 0xcb007107L, 40000 << 16 | 80, false),
                new FlowKey(0, 0xc6120001L, 1, 0xcb007107L, 40000 << 16 | 80, false),
                new FlowKey(0, 0xc6120001L, 0, 0xcb007108L, 40000 << 16 | 80, false),
                new FlowKey(0, 0xc6120001L, 0, 0xcb007107L, 40001 << 16 | 80, false),
                new FlowKey(0, 0xc6120001L, 0, 0xcb007107L, 40000 << 16 | 80, true));
        for (FlowKey other : others) assertNotEquals(KEY, other, "got equal, want apart: " + other);
    }

    @Test
    void flowIdsAreEqualWhenEveryPartIs() throws Exception {
        InetAddress command = InetAddress.getByName("198.18.0.1");
        InetAddress server = InetAddress.getByName("203.0.113.7");
        FlowId id = new FlowId(FlowId.Protocol.TCP, command, 40000, server, 80);
        assertEquals(id, new FlowId(FlowId.Protocol.TCP, command, 40000, server, 80), "equal ids");
        assertEquals(id.hashCode(), new FlowId(FlowId.Protocol.TCP, command, 40000, server, 80).hashCode(), "hashes of equal ids");
        List<FlowId> others = List.of(
                new FlowId(FlowId.Protocol.UDP, command, 40000, server, 80),
                new FlowId(FlowId.Protocol.TCP, server, 40000, server, 80),
                new FlowId(FlowId.Protocol.TCP, command, 40001, server, 80),
                new FlowId(FlowId.Protocol.TCP, command, 40000, command, 80),
                new FlowId(FlowId.Protocol.TCP, command, 40000, server, 81),
                id.withDestinationName("example.com"));
        for (FlowId other : others) assertNotEquals(id, other, "got equal, want apart: " + other);
    }
}
