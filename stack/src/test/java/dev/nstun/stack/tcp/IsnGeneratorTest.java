package dev.nstun.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class IsnGeneratorTest {
    static final long K0 = 0x0706050403020100L;
    static final long K1 = 0x0f0e0d0c0b0a0908L;

    private static byte[] counting(int n) {
        byte[] m = new byte[n];
        for (int i = 0; i < n; i++) m[i] = (byte) i;
        return m;
    }

    @Test
    void sipHashMatchesTheReferenceVectors() {
        assertEquals(0x726fdb47dd0e0e31L, IsnGenerator.sipHash24(K0, K1, counting(0), 0, 0), "empty message");
        assertEquals(0xa129ca6149be45e5L, IsnGenerator.sipHash24(K0, K1, counting(15), 0, 15), "15 bytes (the paper's example)");
        assertEquals(0x958a324ceb064572L, IsnGenerator.sipHash24(K0, K1, counting(63), 0, 63), "63 bytes");
    }

    /** A generator whose key is 16 counting bytes. */
    private static IsnGenerator generator(byte start) {
        return new IsnGenerator(new SecureRandom() {
            @Override
            public void nextBytes(byte[] bytes) {
                for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) (start + i);
            }
        });
    }

    private static ByteBuffer syn(int sourcePort) {
        return TcpTestSupport.SYN.toPacket(TcpTestSupport.REMOTE_ADDR, sourcePort, TcpTestSupport.LOCAL_ADDR, 80);
    }

    private static int isn(IsnGenerator g, ByteBuffer p, long now) {
        return g.isn(Seg.ip(p), Seg.tcp(p), now);
    }

    @Test
    void isnAdvancesWithTheFourMicrosecondClock() {
        IsnGenerator g = generator((byte) 0);
        ByteBuffer p = syn(40000);
        assertEquals(isn(g, p, 0) + 1000, isn(g, p, 4_000_000), "ISN 4 ms later");
    }

    @Test
    void isnDependsOnTheTupleAndTheKey() {
        IsnGenerator g = generator((byte) 0);
        assertNotEquals(isn(g, syn(40000), 0), isn(g, syn(40001), 0), "another source port");
        assertNotEquals(isn(g, syn(40000), 0), isn(generator((byte) 1), syn(40000), 0), "another key");
    }

    /** Two generators keyed by the kernel draw two keys: their ISNs for one tuple at one time differ (equal by chance: 1 in 2^32). */
    @Test
    void keysDrawnFromTheKernelDiffer() {
        assertNotEquals(isn(IsnGenerator.keyedByKernel(), syn(40000), 0), isn(IsnGenerator.keyedByKernel(), syn(40000), 0));
    }
}
