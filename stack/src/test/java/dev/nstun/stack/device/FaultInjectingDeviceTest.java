package dev.nstun.stack.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FaultInjectingDeviceTest {
    private static byte[] packet(int id) {
        byte[] p = new byte[40];
        p[0] = 0x45;
        p[39] = (byte) id;
        return p;
    }

    private static List<Integer> receiveAll(Device d) throws Exception {
        List<Integer> ids = new ArrayList<>();
        ByteBuffer buf = ByteBuffer.allocate(100);
        for (int n; (n = d.receive(buf.clear())) > 0; ) ids.add((int) buf.get(n - 1));
        return ids;
    }

    @Test
    void lossOfEverythingDeliversNothingEitherWay() throws Exception {
        MemoryDevice link = new MemoryDevice();
        FaultInjectingDevice d = new FaultInjectingDevice(link, FaultInjectingDevice.Faults.parse("loss=100"));
        link.toReceive.add(packet(1));
        assertEquals(List.of(), receiveAll(d));
        d.transmit(ByteBuffer.wrap(packet(2)));
        assertEquals(0, link.transmitted.size());
    }

    @Test
    void duplicationDeliversEachPacketTwice() throws Exception {
        MemoryDevice link = new MemoryDevice();
        FaultInjectingDevice d = new FaultInjectingDevice(link, FaultInjectingDevice.Faults.parse("duplicate=100"));
        link.toReceive.add(packet(1));
        link.toReceive.add(packet(2));
        assertEquals(List.of(1, 2, 1, 2), receiveAll(d));
        d.transmit(ByteBuffer.wrap(packet(3)));
        assertEquals(2, link.transmitted.size());
        assertArrayEquals(link.transmitted.get(0), link.transmitted.get(1));
    }

    @Test
    void reorderingHoldsAPacketBackUntilTheNextOne() throws Exception {
        MemoryDevice link = new MemoryDevice();
        FaultInjectingDevice d = new FaultInjectingDevice(link, FaultInjectingDevice.Faults.parse("reorder=100"));
        d.transmit(ByteBuffer.wrap(packet(1)));
        assertEquals(0, link.transmitted.size(), "held back");
        d.transmit(ByteBuffer.wrap(packet(2)));
        assertEquals(2, link.transmitted.get(0)[39]);
        assertEquals(1, link.transmitted.get(1)[39]);
        d.transmit(ByteBuffer.wrap(packet(3)));
        assertEquals(2, link.transmitted.size(), "held back again");
        d.flush();
        assertEquals(3, link.transmitted.get(2)[39], "the end of the turn sends what is held: reordering is not loss");
        link.toReceive.add(packet(5));
        assertEquals(List.of(5), receiveAll(d), "a held-back packet still arrives within the batch");
    }

    @Test
    void corruptionFlipsOneBitPastTheIpHeader() throws Exception {
        MemoryDevice link = new MemoryDevice();
        FaultInjectingDevice d = new FaultInjectingDevice(link, FaultInjectingDevice.Faults.parse("corrupt=100,seed=3"));
        byte[] original = packet(7);
        d.transmit(ByteBuffer.wrap(original.clone()));
        byte[] sent = link.transmitted.get(0);
        int differing = 0;
        for (int i = 0; i < original.length; i++) {
            if (original[i] != sent[i]) {
                differing++;
                assertEquals(1, Integer.bitCount((original[i] ^ sent[i]) & 0xff));
                assertEquals(true, i >= 20, "byte " + i + " is in the IP header");
            }
        }
        assertEquals(1, differing);
    }

    @Test
    void theSameSeedGivesTheSameRun() throws Exception {
        List<Integer> first = run(42);
        assertEquals(first, run(42));
    }

    private static List<Integer> run(long seed) throws Exception {
        MemoryDevice link = new MemoryDevice();
        FaultInjectingDevice d = new FaultInjectingDevice(link, FaultInjectingDevice.Faults.parse("loss=20,reorder=30,duplicate=10,seed=" + seed));
        for (int i = 0; i < 50; i++) link.toReceive.add(packet(i));
        return receiveAll(d);
    }

    @Test
    void badSpecsSayWhatIsWrong() {
        assertEquals("unknown fault 'jitter' (expected loss, reorder, duplicate, corrupt, seed)",
                assertThrows(IllegalArgumentException.class, () -> FaultInjectingDevice.Faults.parse("jitter=5")).getMessage());
        assertEquals("loss must be a percentage from 0 to 100, not 150",
                assertThrows(IllegalArgumentException.class, () -> FaultInjectingDevice.Faults.parse("loss=150")).getMessage());
        assertEquals(5.0, FaultInjectingDevice.Faults.parse("loss=5%").loss());
    }
}
