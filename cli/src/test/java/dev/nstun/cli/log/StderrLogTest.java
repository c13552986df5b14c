package dev.nstun.cli.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/** nstun's log lines through slf4j as a user sees them on stderr: plain text as before, or one JSON object per line. */
class StderrLogTest {
    private final ByteArrayOutputStream lines = new ByteArrayOutputStream();
    private final Logger log = LoggerFactory.getLogger("dev.nstun.test.Flows");

    @BeforeEach
    void capture() {
        StderrLog.output(new PrintStream(lines, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        StderrLog.output(System.err);
        StderrLog.format(StderrLog.Format.TEXT);
        StderrLog.threshold(Level.INFO);
    }

    @Test
    void slf4jFindsThisBackend() {
        assertEquals(StderrLogger.class, log.getClass());
    }

    @Test
    void textIsTheLevelAndTheMessageAndOnlyTheLevelsAsked() {
        log.debug("not at the default level");
        log.warn("{} via {}: {}", "tcp 198.18.0.1:40000 -> 192.0.2.1:443", "proxy (rule 2)", "connection refused");
        StderrLog.threshold(Level.DEBUG);
        log.debug("now");
        assertEquals("WARN tcp 198.18.0.1:40000 -> 192.0.2.1:443 via proxy (rule 2): connection refused\nDEBUG now\n", text());
    }

    @Test
    void jsonIsOneObjectPerLineWithTheErrorInItsFields() {
        StderrLog.format(StderrLog.Format.JSON);
        log.info("a \"quoted\"\tname\u0007");
        log.error("the stack stopped: {}", "boom", new IOException("disk\nfull"));
        String[] got = text().split("\n");
        assertEquals(2, got.length, text());
        assertTrue(got[0].matches("\\{\"time\":\"[0-9T:.\\-]+Z\",\"level\":\"INFO\",\"logger\":\"dev.nstun.test.Flows\","
                + "\"message\":\"a \\\\\"quoted\\\\\"\\\\tname\\\\u0007\"}"), got[0]);
        assertTrue(got[1].contains(",\"level\":\"ERROR\",") && got[1].contains(",\"message\":\"the stack stopped: boom\",")
                && got[1].contains(",\"error\":\"java.io.IOException: disk\\nfull\",\"stack\":\"java.io.IOException: disk\\nfull\\n\\tat "),
                got[1]);
    }

    private String text() {
        return lines.toString(StandardCharsets.UTF_8);
    }
}
