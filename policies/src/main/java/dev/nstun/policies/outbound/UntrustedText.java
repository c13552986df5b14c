package dev.nstun.policies.outbound;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Makes text that someone else chose (a proxy's reason phrase and headers, a name from the
 * network) safe to print on the user's terminal and in a log: nothing in the result moves the
 * cursor, sets a window title, clears the screen, reverses the reading direction or starts a new
 * log line. Printable ASCII and printable Unicode stay as they are; what a terminal would obey
 * becomes an escape that says what was there:
 * <ul>
 *   <li>C0 controls (tab and line feed included), DEL and C1 controls: {@code \xNN}, so
 *       {@code ESC ] 0 ; t BEL} reads {@code \x1b]0;t\x07};</li>
 *   <li>format characters (the bidi overrides and isolates among them), line and paragraph
 *       separators, lone surrogates, private-use and unassigned code points: {@code &#92;u{202e}};</li>
 *   <li>bytes that are not UTF-8, in {@link #printable(byte[])}: {@code \xNN}.</li>
 * </ul>
 * A backslash is left alone, so escaping escaped text changes nothing (a log line may be built from
 * parts that were escaped already). The result is at most {@link #MAX_CHARS} characters (or the
 * given cap) plus {@link #TRUNCATED}.
 */
public final class UntrustedText {
    /** The longest result of {@link #printable(CharSequence)}, before {@link #TRUNCATED}: a reason phrase is a few words. */
    public static final int MAX_CHARS = 200;
    /** What ends a result that was cut at its cap. */
    public static final String TRUNCATED = "...";

    private UntrustedText() {
    }

    /** Returns {@code text} with everything a terminal would act on escaped, at most {@link #MAX_CHARS} characters long. */
    public static String printable(CharSequence text) {
        return printable(text, MAX_CHARS);
    }

    /** Returns {@code text} with everything a terminal would act on escaped, at most {@code maxChars} characters long. */
    public static String printable(CharSequence text, int maxChars) {
        Escaper out = new Escaper(maxChars);
        for (int i = 0; i < text.length() && !out.full; ) {
            int c = Character.codePointAt(text, i);
            out.codePoint(c);
            i += Character.charCount(c);
        }
        return out.result();
    }

    /** Returns the UTF-8 text {@code bytes} with every byte that is not UTF-8 as {@code \xNN}, otherwise as {@link #printable(CharSequence)}. */
    public static String printable(byte[] bytes) {
        Escaper out = new Escaper(MAX_CHARS);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer chars = CharBuffer.allocate(bytes.length);
        while (in.hasRemaining() && !out.full) {
            CoderResult result = decoder.decode(in, chars, true);
            chars.flip();
            for (int i = 0; i < chars.length() && !out.full; ) {
                int c = Character.codePointAt(chars, i);
                out.codePoint(c);
                i += Character.charCount(c);
            }
            chars.clear();
            if (result.isError()) {
                for (int k = 0; k < result.length(); k++) out.escape("\\x%02x", in.get() & 0xff);
                decoder.reset();
            }
        }
        return out.result();
    }

    /** Whether a terminal prints the code point {@code c} as a glyph and does nothing else with it. */
    private static boolean isPrintable(int c) {
        if (c < 0x80) return c >= 0x20 && c < 0x7f;
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED -> false;
            default -> true;
        };
    }

    /** Builds a result up to its cap; {@link #full} once something did not fit. */
    private static final class Escaper {
        private final StringBuilder text;
        private final int cap;
        private boolean full;

        Escaper(int cap) {
            this.cap = cap;
            this.text = new StringBuilder(Math.min(cap, 64));
        }

        void codePoint(int c) {
            if (isPrintable(c)) {
                append(Character.toString(c));
            } else if (c < 0x100) {
                escape("\\x%02x", c);
            } else {
                escape("\\u{%x}", c);
            }
        }

        void escape(String format, int value) {
            append(format.formatted(value));
        }

        private void append(String piece) {
            if (full || text.length() + piece.length() > cap) {
                full = true;
                return;
            }
            text.append(piece);
        }

        String result() {
            return full ? text + TRUNCATED : text.toString();
        }
    }
}
