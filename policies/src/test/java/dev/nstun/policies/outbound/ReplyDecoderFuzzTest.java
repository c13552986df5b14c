package dev.nstun.policies.outbound;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * The proxy reply decoders against anything a proxy may send, in any pieces: a decoder ends in
 * SUCCESS with a message or FAILURE with a reason, or waits for more bytes it names; it throws
 * nothing, not even {@link ReplyDecoder.MalformedException} (which {@link ReplyDecoder#decode}
 * turns into FAILURE), and never wants zero bytes while waiting (a reader would spin).
 *
 * <p>Lives in the decoders' package because they are package-private. Without {@code JAZZER_FUZZ=1}
 * each target runs only its committed inputs (under {@code ReplyDecoderFuzzTestInputs/} in the test
 * resources); {@code bench/fuzz} fuzzes them.
 */
class ReplyDecoderFuzzTest {
    /** The decoders a handshake uses, chosen by the input's first byte. */
    private static final List<Supplier<ReplyDecoder<?>>> DECODERS = List.of(
            Socks5ReplyDecoders::methodSelection, Socks5ReplyDecoders::passwordStatus,
            Socks5ReplyDecoders::commandReply, HttpResponseDecoder::new);

    /**
     * Byte 0 picks the decoder, byte 1 the most bytes a read returns (the proxy's segmentation), the
     * rest is what the proxy sends before closing. Reads as {@link Handshake#receive} does.
     */
    @FuzzTest
    void reply(byte[] data) {
        if (data.length < 2) return;
        ReplyDecoder<?> decoder = DECODERS.get((data[0] & 0xff) % DECODERS.size()).get();
        int piece = Math.max(1, data[1] & 0xff);
        byte[] sent = Arrays.copyOfRange(data, 2, data.length);
        byte[] bytes = new byte[HttpResponseDecoder.MAX_HEAD_BYTES];
        ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, 0);
        int read = 0;
        while (true) {
            ReplyDecoder.State state = decoder.decode(buffer);
            if (state == ReplyDecoder.State.SUCCESS) {
                if (decoder.message() == null) throw new AssertionError("SUCCESS without a message");
                return;
            }
            if (state == ReplyDecoder.State.FAILURE) {
                if (decoder.failure() == null || decoder.failure().isEmpty()) throw new AssertionError("FAILURE without a reason");
                return;
            }
            int have = buffer.limit();
            int want = Math.min(decoder.bytesWanted(), bytes.length - have);
            if (want <= 0) throw new AssertionError("waiting for " + want + " bytes after " + have + ": a reader would spin");
            int n = Math.min(Math.min(want, piece), sent.length - read);
            if (n <= 0) {
                decoder.decodeTruncated(buffer);
                return;
            }
            System.arraycopy(sent, read, bytes, have, n);
            read += n;
            buffer.limit(have + n);
        }
    }
}
