package dev.dockbridge.cli;

import java.nio.file.Path;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy;
import ch.qos.logback.core.util.FileSize;
import org.slf4j.Logger;

/** Sends a detached daemon's log to {@code daemon.log} in its state directory, rotated at 10 MB, 3 kept. */
public final class DaemonLogFile {
    private DaemonLogFile() {
    }

    /** The daemon log of a profile's state directory (what {@code dockbridge logs} reads). */
    public static Path of(Profile profile) {
        return profile.stateDir().resolve("daemon.log");
    }

    /** @param keepConsole also log to stdout (a daemon in the foreground); a detached one logs to the file only */
    public static void use(LoggerContext logging, Path file, boolean keepConsole) {
        RollingFileAppender<ILoggingEvent> appender = new RollingFileAppender<>();
        appender.setContext(logging);
        appender.setName("daemon-log");
        appender.setFile(file.toString());
        FixedWindowRollingPolicy rolling = new FixedWindowRollingPolicy();
        rolling.setContext(logging);
        rolling.setParent(appender);
        rolling.setFileNamePattern(file + ".%i");
        rolling.setMinIndex(1);
        rolling.setMaxIndex(3);
        rolling.start();
        SizeBasedTriggeringPolicy<ILoggingEvent> trigger = new SizeBasedTriggeringPolicy<>();
        trigger.setContext(logging);
        trigger.setMaxFileSize(FileSize.valueOf("10MB"));
        trigger.start();
        appender.setRollingPolicy(rolling);
        appender.setTriggeringPolicy(trigger);
        appender.setEncoder(LogSetup.encoder(logging));
        appender.start();
        var root = logging.getLogger(Logger.ROOT_LOGGER_NAME);
        if (!keepConsole) {
            root.detachAndStopAllAppenders();
        }
        root.addAppender(appender);
    }
}
