package dev.nstun.cli.log;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** A logger that writes through {@link StderrLog}: the level and format it has when the line is logged. */
final class StderrLogger extends LegacyAbstractLogger {
    StderrLogger(String name) {
        this.name = name;
    }

    @Override
    public boolean isTraceEnabled() {
        return StderrLog.enabled(Level.TRACE);
    }

    @Override
    public boolean isDebugEnabled() {
        return StderrLog.enabled(Level.DEBUG);
    }

    @Override
    public boolean isInfoEnabled() {
        return StderrLog.enabled(Level.INFO);
    }

    @Override
    public boolean isWarnEnabled() {
        return StderrLog.enabled(Level.WARN);
    }

    @Override
    public boolean isErrorEnabled() {
        return StderrLog.enabled(Level.ERROR);
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments, Throwable error) {
        StderrLog.write(level, name, MessageFormatter.basicArrayFormat(pattern, arguments), error);
    }
}
