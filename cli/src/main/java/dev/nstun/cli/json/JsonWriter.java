package dev.nstun.cli.json;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Writes one JSON document (RFC 8259) as it is built: objects, arrays, names and values in order,
 * commas and string escapes taken care of. The one JSON writer of nstun: what the control socket
 * answers ({@code nstun status --json}) and each line of {@code --log-format json}; small enough that
 * a library for it would be the larger part.
 */
public final class JsonWriter {
    private final StringBuilder out = new StringBuilder();
    /** Per open object or array: whether the next element needs a comma before it. */
    private final Deque<Boolean> needsComma = new ArrayDeque<>();
    /** A name was just written: its value follows with no comma. */
    private boolean afterName;

    public JsonWriter beginObject() {
        element();
        out.append('{');
        needsComma.push(false);
        return this;
    }

    public JsonWriter endObject() {
        needsComma.pop();
        out.append('}');
        return this;
    }

    public JsonWriter beginArray() {
        element();
        out.append('[');
        needsComma.push(false);
        return this;
    }

    public JsonWriter endArray() {
        needsComma.pop();
        out.append(']');
        return this;
    }

    /** Writes the name of the object member whose value comes next. */
    public JsonWriter name(String name) {
        element();
        string(name);
        out.append(':');
        afterName = true;
        return this;
    }

    public JsonWriter value(String s) {
        element();
        if (s == null) {
            out.append("null");
        } else {
            string(s);
        }
        return this;
    }

    public JsonWriter value(long n) {
        element();
        out.append(n);
        return this;
    }

    /** Returns the document written so far. */
    @Override
    public String toString() {
        return out.toString();
    }

    private void element() {
        if (afterName) {
            afterName = false;
            return;
        }
        if (!needsComma.isEmpty()) {
            if (needsComma.peek()) out.append(',');
            needsComma.pop();
            needsComma.push(true);
        }
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) && !validSurrogate(s, i)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Returns whether the surrogate at {@code i} is half of a pair (a lone one is escaped, not written as invalid UTF-8). */
    private static boolean validSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
