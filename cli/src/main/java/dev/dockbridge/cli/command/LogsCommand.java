package dev.dockbridge.cli.command;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Callable;

import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.DaemonLogFile;
import dev.dockbridge.cli.ExitCodes;
import dev.dockbridge.cli.Profile;
import dev.dockbridge.cli.UserException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "logs", mixinStandardHelpOptions = true, description = "Print the daemon's log ($DOCKBRIDGE_HOME/<profile>/daemon.log).")
public final class LogsCommand implements Callable<Integer> {
    /** How often a followed log is looked at; a human does not notice 200 ms. */
    private static final long FOLLOW_POLL_MS = 200;

    private final CliContext ctx;

    @Mixin
    ProfileOptions profileOptions;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new lines (across rotations) until interrupted.")
    boolean follow;

    @Option(names = {"-n", "--tail"}, paramLabel = "N", description = "Only the last N lines (default: all).")
    Integer tail;

    public LogsCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (tail != null && tail < 0) {
            throw new UserException(ExitCodes.USAGE, "--tail: " + tail + " is negative; give a number of lines, e.g. --tail 50");
        }
        Profile profile = profileOptions.resolve(ctx);
        Path log = DaemonLogFile.of(profile);
        if (!Files.exists(log) && !follow) {
            throw new UserException(ExitCodes.FAILURE, "no log yet for profile " + profile.name() + " (" + log
                    + "): the daemon writes it once started with 'dockbridge start'");
        }
        long position = Files.exists(log) ? printExisting(log) : 0;
        if (!follow) {
            return ExitCodes.OK;
        }
        while (!Thread.currentThread().isInterrupted()) {
            long size = Files.exists(log) ? Files.size(log) : 0;
            if (size < position) {
                position = 0; // rotated: the new file starts from scratch
            }
            if (size > position) {
                position = copy(log, position, size);
            }
            Thread.sleep(FOLLOW_POLL_MS);
        }
        return ExitCodes.OK;
    }

    /** @return the offset printed up to */
    private long printExisting(Path log) throws IOException {
        long size = Files.size(log);
        if (tail == null) {
            return copy(log, 0, size);
        }
        Deque<String> last = new ArrayDeque<>();
        try (var lines = Files.lines(log, StandardCharsets.UTF_8)) {
            lines.forEach(line -> {
                last.addLast(line);
                if (last.size() > tail) {
                    last.removeFirst();
                }
            });
        }
        last.forEach(ctx.out()::println);
        ctx.out().flush();
        return size;
    }

    private long copy(Path log, long from, long to) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            f.seek(from);
            byte[] bytes = new byte[(int) Math.min(to - from, 1 << 24)];
            f.readFully(bytes);
            ctx.out().print(new String(bytes, StandardCharsets.UTF_8));
            ctx.out().flush();
            return from + bytes.length;
        }
    }
}
