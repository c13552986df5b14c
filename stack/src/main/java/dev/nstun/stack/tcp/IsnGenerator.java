package dev.nstun.stack.tcp;

import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;
import dev.nstun.stack.wire.TcpSegment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * Initial sequence numbers per RFC 6528: {@code ISN = M + F(localip, localport, remoteip,
 * remoteport, secretkey)}, where M is a clock ticking every 4 µs and F is SipHash-2-4 (Aumasson and
 * Bernstein, 2012) keyed with 128 bits drawn once ({@link #keyedByKernel}). Off-path attackers
 * cannot guess the ISN of a connection; successive connections of one 4-tuple get increasing ISNs.
 *
 * <p>The clock is an argument, like everywhere in the stack. One generator per loop thread: it
 * reuses a scratch array and is not thread-safe.
 */
public final class IsnGenerator {
    /** RFC 6528 §3: M ticks every 4 microseconds. */
    static final long TICK_NANOS = 4_000;
    private static final Path URANDOM = Path.of("/dev/urandom");

    private final long k0;
    private final long k1;
    private final byte[] tuple = new byte[36];

    /** Draws the secret key from {@code random}. */
    public IsnGenerator(SecureRandom random) {
        this(drawn(random));
    }

    private IsnGenerator(byte[] key) {
        this.k0 = littleEndian(key, 0);
        this.k1 = littleEndian(key, 8);
    }

    /**
     * A generator whose secret key is 16 bytes of the kernel's random source, /dev/urandom (what the
     * JDK's default SecureRandom on Linux reads too), read here: a first SecureRandom initialises the
     * JDK's security providers, about 20 ms of CPU at every start of a run (issue 11). Where that file
     * cannot be read, the key comes from a SecureRandom.
     */
    public static IsnGenerator keyedByKernel() {
        ByteBuffer key = ByteBuffer.allocate(16);
        try (FileChannel urandom = FileChannel.open(URANDOM)) {
            while (key.hasRemaining()) {
                if (urandom.read(key) < 0) throw new IOException("the end of " + URANDOM);
            }
        } catch (IOException e) {
            return new IsnGenerator(new SecureRandom());
        }
        return new IsnGenerator(key.array());
    }

    private static byte[] drawn(SecureRandom random) {
        byte[] key = new byte[16];
        random.nextBytes(key);
        return key;
    }

    /**
     * Returns the ISN for a connection accepted from {@code syn} carried by {@code ip}: the local
     * side is the SYN's destination (the address the command dialled), the remote its source.
     */
    public int isn(IpPacket ip, TcpSegment syn, long nowNanos) {
        // Not a pattern switch: that is bootstrapped at its first use, the command's first connection.
        int n;
        if (ip instanceof Ipv4Packet p) {
            putInt(0, p.destination());
            putInt(4, p.source());
            n = 8;
        } else {
            Ipv6Packet p = (Ipv6Packet) ip;
            putLong(0, p.destinationHigh());
            putLong(8, p.destinationLow());
            putLong(16, p.sourceHigh());
            putLong(24, p.sourceLow());
            n = 32;
        }
        putInt(n, syn.destinationPort() << 16 | syn.sourcePort());
        long f = sipHash24(k0, k1, tuple, 0, n + 4);
        return (int) (nowNanos / TICK_NANOS) + (int) f;
    }

    /** Returns SipHash-2-4 of {@code len} bytes of {@code m} from {@code off} under the key {@code k0, k1} (little-endian halves). */
    static long sipHash24(long k0, long k1, byte[] m, int off, int len) {
        long[] v = {k0 ^ 0x736f6d6570736575L, k1 ^ 0x646f72616e646f6dL, k0 ^ 0x6c7967656e657261L, k1 ^ 0x7465646279746573L};
        int end = off + len - len % 8;
        for (int i = off; i < end; i += 8) compress(v, littleEndian(m, i));
        long last = (long) (len & 0xff) << 56;
        for (int i = 0; i < len % 8; i++) last |= (m[end + i] & 0xffL) << (8 * i);
        compress(v, last);
        v[2] ^= 0xff;
        sipRounds(v, 4);
        return v[0] ^ v[1] ^ v[2] ^ v[3];
    }

    /** Absorbs one message word with the two compression rounds of SipHash-2-4. */
    private static void compress(long[] v, long word) {
        v[3] ^= word;
        sipRounds(v, 2);
        v[0] ^= word;
    }

    private static void sipRounds(long[] v, int rounds) {
        long v0 = v[0];
        long v1 = v[1];
        long v2 = v[2];
        long v3 = v[3];
        for (int r = 0; r < rounds; r++) {
            v0 += v1;
            v1 = Long.rotateLeft(v1, 13) ^ v0;
            v0 = Long.rotateLeft(v0, 32);
            v2 += v3;
            v3 = Long.rotateLeft(v3, 16) ^ v2;
            v0 += v3;
            v3 = Long.rotateLeft(v3, 21) ^ v0;
            v2 += v1;
            v1 = Long.rotateLeft(v1, 17) ^ v2;
            v2 = Long.rotateLeft(v2, 32);
        }
        v[0] = v0;
        v[1] = v1;
        v[2] = v2;
        v[3] = v3;
    }

    private static long littleEndian(byte[] b, int i) {
        long v = 0;
        for (int j = 7; j >= 0; j--) v = v << 8 | (b[i + j] & 0xffL);
        return v;
    }

    private void putInt(int i, int v) {
        for (int j = 0; j < 4; j++) tuple[i + j] = (byte) (v >>> (24 - 8 * j));
    }

    private void putLong(int i, long v) {
        for (int j = 0; j < 8; j++) tuple[i + j] = (byte) (v >>> (56 - 8 * j));
    }
}
