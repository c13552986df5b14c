package dev.nstun.policies.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class UntrustedTextTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "plain ASCII stays           | Forbidden by policy         | Forbidden by policy",
            "OSC window title, CSI clear | \"\u001b]0;pwned\u0007\u001b[2J\" | \\x1b]0;pwned\\x07\\x1b[2J",
            "line breaks and tab         | \"a\r\nb\tc\"               | a\\x0d\\x0ab\\x09c",
            "SOH and DEL                 | \"\u0001x\u007f\"            | \\x01x\\x7f",
            "C1 CSI and NEL              | \u009b2J\u0085               | \\x9b2J\\x85",
            "bidi override and isolate   | abc\u202edcba\u2066x\u2069   | abc\\u{202e}dcba\\u{2066}x\\u{2069}",
            "line separator, zero width  | a\u2028b\u200bc              | a\\u{2028}b\\u{200b}c",
            "printable Unicode stays     | Zugriff verweigert – Größe   | Zugriff verweigert – Größe",
            "a backslash stays           | C:\\x41                      | C:\\x41",
    })
    void escapesWhatATerminalWouldObey(String name, String text, String want) {
        assertEquals(want, UntrustedText.printable(text));
    }

    @Test
    void nulIsEscaped() {
        assertEquals("\\x00x", UntrustedText.printable("\u0000x"));
    }

    @Test
    void loneSurrogatesAndPrivateUseAreEscaped() {
        assertEquals("a\\u{d800}b\\u{e000}", UntrustedText.printable("a\ud800b\ue000"));
    }

    @Test
    void escapingTwiceChangesNothing() {
        String once = UntrustedText.printable("x\u001b[31m\u202e\u00ff\\");
        assertEquals(once, UntrustedText.printable(once));
    }

    @Test
    void invalidUtf8BytesAreEscapedOneByOne() {
        byte[] bytes = {'o', 'k', (byte) 0xc3, (byte) 0xa9, ' ', (byte) 0xff, (byte) 0xc3, '(', 0x1b, (byte) 0xe2, (byte) 0x82};
        assertEquals("ok\u00e9 \\xff\\xc3(\\x1b\\xe2\\x82", UntrustedText.printable(bytes));
    }

    @Test
    void validUtf8BytesReadAsText() {
        assertEquals("Größe \\u{202e}", UntrustedText.printable("Größe \u202e".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void longTextIsCutAtTheCapWithoutSplittingAnEscape() {
        String cut = UntrustedText.printable("a".repeat(UntrustedText.MAX_CHARS - 2) + "\u001b" + "b".repeat(10_000));
        assertEquals("a".repeat(UntrustedText.MAX_CHARS - 2) + UntrustedText.TRUNCATED, cut);
        String bytes = UntrustedText.printable(new byte[1_000_000]);
        assertEquals("\\x00".repeat(UntrustedText.MAX_CHARS / 4) + UntrustedText.TRUNCATED, bytes);
        assertTrue(UntrustedText.printable("x".repeat(5000), 1000).length() <= 1000 + UntrustedText.TRUNCATED.length());
    }
}
