package dev.nstun.policies.outbound;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decodes the head of an HTTP/1.x response (RFC 9112 §4 and §5): the status line and the header
 * fields up to the empty line, at most {@link #MAX_HEAD_BYTES}. It asks for no more bytes than the
 * end of the head could still need (4, fewer once part of CR LF CR LF has arrived), so the bytes a
 * CONNECT tunnel carries right after the head stay in the socket for the data stream. That costs a
 * read per few bytes of head, once per connection.
 */
final class HttpResponseDecoder extends ReplyDecoder<HttpResponseDecoder.Head> {
    /** The longest response head accepted. */
    static final int MAX_HEAD_BYTES = 8192;

    private static final byte[] END = {'\r', '\n', '\r', '\n'};
    private static final byte[] PREFIX = {'H', 'T', 'T', 'P', '/'};
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.[01] ([0-9]{3})(?: (.*))?");
    private static final Pattern FIELD = Pattern.compile("([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*");

    /** Bytes already searched for the end of the head, from the buffer's position. */
    private int searched;

    /**
     * A response head, its text as the proxy sent it (each byte one character, ISO-8859-1). Header
     * names are lower case; a repeated field's values are joined with {@code ", "} (RFC 9110 §5.3).
     */
    record Head(int status, String reason, Map<String, String> headers) {
        /** Returns the value of the header field {@code name} (any case). */
        Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }

        /** Returns the status code and reason for a message, e.g. {@code 407 Proxy Authentication Required}, escaped. */
        String statusText() {
            return reason.isEmpty() ? Integer.toString(status) : status + " " + printable(reason);
        }
    }

    /** Returns text of the head (ISO-8859-1, one character per byte) for a message: UTF-8 read, controls escaped. */
    static String printable(String headText) {
        return UntrustedText.printable(headText.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Override
    int frameLength(ByteBuffer in) throws MalformedException {
        int start = in.position();
        int available = in.remaining();
        for (int i = 0; i < Math.min(available, PREFIX.length); i++) {
            if (in.get(start + i) != PREFIX[i]) {
                byte[] first = new byte[Math.min(available, 40)];
                in.get(start, first);
                throw new MalformedException("status line '" + UntrustedText.printable(first)
                        + "' (expected: HTTP/1.1 followed by a status code)");
            }
        }
        for (int i = Math.max(0, searched - END.length + 1); i + END.length <= available; i++) {
            if (in.get(start + i) == '\r' && in.get(start + i + 1) == '\n' && in.get(start + i + 2) == '\r'
                    && in.get(start + i + 3) == '\n') {
                return i + END.length;
            }
        }
        searched = available;
        if (available >= MAX_HEAD_BYTES) {
            throw new MalformedException("response head longer than " + MAX_HEAD_BYTES + " bytes (expected: an empty line before that)");
        }
        return available + END.length - partialEnd(in, start, available);
    }

    @Override
    Head parse(ByteBuffer in) throws MalformedException {
        int length = frameLength(in) - END.length;
        byte[] bytes = new byte[length];
        in.get(in.position(), bytes);
        String[] lines = new String(bytes, StandardCharsets.ISO_8859_1).split("\r\n", -1);
        Matcher status = STATUS_LINE.matcher(lines[0]);
        if (!status.matches()) {
            throw new MalformedException("status line '" + printable(lines[0]) + "' (expected: HTTP/1.0 or HTTP/1.1, a space, a 3-digit status code)");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        String last = null;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (last != null && !line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
                headers.merge(last, line.strip(), (a, b) -> a + " " + b);
                continue;
            }
            Matcher field = FIELD.matcher(line);
            if (!field.matches()) {
                throw new MalformedException("header line '" + printable(line) + "' (expected: name: value)");
            }
            last = field.group(1).toLowerCase(Locale.ROOT);
            headers.merge(last, field.group(2), (a, b) -> a + ", " + b);
        }
        String reason = status.group(2) == null ? "" : status.group(2).strip();
        return new Head(Integer.parseInt(status.group(1)), reason, Collections.unmodifiableMap(headers));
    }

    /** Returns how many bytes at the end of what arrived begin CR LF CR LF (0 to 3). */
    private static int partialEnd(ByteBuffer in, int start, int available) {
        for (int k = Math.min(END.length - 1, available); k > 0; k--) {
            boolean match = true;
            for (int j = 0; j < k && match; j++) {
                match = in.get(start + available - k + j) == END[j];
            }
            if (match) {
                return k;
            }
        }
        return 0;
    }
}
