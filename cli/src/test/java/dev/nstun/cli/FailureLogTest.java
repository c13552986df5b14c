package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class FailureLogTest {
    @Test
    void oneLinePerCauseEveryTenSecondsWithTheCountOfWhatWasHeldBack() {
        List<String> lines = new ArrayList<>();
        Logger logger = (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class}, (p, m, args) -> {
            if (m.getName().equals("warn") && args.length == 1) lines.add((String) args[0]);
            return m.getReturnType() == boolean.class ? Boolean.TRUE : null;
        });
        FailureLog log = new FailureLog(logger);
        long t = 1_000_000_000L;
        log.warn("corp/AUTHENTICATION", "flow 1: wrong password", t);
        log.warn("corp/AUTHENTICATION", "flow 2: wrong password", t + 1);
        log.warn("corp/AUTHENTICATION", "flow 3: wrong password", t + 2);
        log.warn("web/PROXY_UNREACHABLE", "flow 4: refused", t + 3);
        log.warn("corp/AUTHENTICATION", "flow 5: wrong password", t + FailureLog.QUIET_NANOS);
        assertEquals(List.of("flow 1: wrong password", "flow 4: refused", "flow 5: wrong password (and 2 more like it)"), lines);
    }
}
