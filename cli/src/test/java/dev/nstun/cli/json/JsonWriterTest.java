package dev.nstun.cli.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Documents as RFC 8259 has them: commas where they belong, and strings escaped where JSON forbids their characters. */
class JsonWriterTest {
    @Test
    void nestedObjectsAndArraysGetTheirCommasAndNothingMore() {
        String json = new JsonWriter().beginObject().name("a").beginArray().endArray().name("b").beginObject().name("c").value(1).endObject()
                .name("d").beginArray().beginObject().endObject().value("x").endArray().endObject().toString();
        assertEquals("{\"a\":[],\"b\":{\"c\":1},\"d\":[{},\"x\"]}", json);
    }

    @Test
    void stringsEscapeWhatJsonForbidsAndKeepTheRest() {
        String json = new JsonWriter().beginArray().value("a\\b\"\n\u0001\u007fé\uD83D\uDE00\uD800").value(-1).value((String) null).endArray().toString();
        assertEquals("[\"a\\\\b\\\"\\n\\u0001\\u007fé\uD83D\uDE00\\ud800\",-1,null]", json);
    }
}
