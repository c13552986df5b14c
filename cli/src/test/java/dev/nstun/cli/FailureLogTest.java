package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class FailureLogTest {
    @Test
    void linesAreEscapedForTheTerminal() {
        List<String> lines = new ArrayList<>();
        new FailureLog(capturing(lines)).warn("web/NOT_ALLOWED", "tcp 1 -> 2: proxy says \u001b]0;pwned\u0007\u202e\nfake line", 0);
        assertEquals(List.of("tcp 1 -> 2: proxy says \\x1b]0;pwned\\x07\\u{202e}\\x0afake line"), lines);
    }

    private static Logger capturing(List<String> lines) {
        return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class}, (p, m, args) -> {
            if (m.getName().equals("warn") && args.length == 1) lines.add((String) args[0]);
            return m.getReturnType() == boolean.class ? Boolean.TRUE : null;
        });
    }

    @Test
    void oneLinePerCauseEveryTenSecondsWithTheCountOfWhatWasHeldBack() {
        List<String> lines = new ArrayList<>();
        FailureLog log = new FailureLog(capturing(lines));
        long t = 1_000_000_000L;
        log.warn("corp/AUTHENTICATION", "flow 1: wrong password", t);
        log.warn("corp/AUTHENTICATION", "flow 2: wrong password", t + 1);
        log.warn("corp/AUTHENTICATION", "flow 3: wrong password", t + 2);
        log.warn("web/PROXY_UNREACHABLE", "flow 4: refused", t + 3);
        log.warn("corp/AUTHENTICATION", "flow 5: wrong password", t + FailureLog.QUIET_NANOS);
        assertEquals(List.of("flow 1: wrong password", "flow 4: refused", "flow 5: wrong password (and 2 more like it)"), lines);
    }
}
