package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * A virtual X server (Xvfb, started by root as a display manager starts one) on a free display,
 * listening on its unix sockets only (the pathname one under /tmp/.X11-unix and Linux's abstract
 * one), that lets in only the clients that show its MIT-MAGIC-COOKIE-1: the cookie file a client
 * reads (XAUTHORITY) matters.
 */
final class XServer implements AutoCloseable {
    private static final int FIRST_DISPLAY = 90;
    private static final int LAST_DISPLAY = 140;

    private final int display;
    private final String cookie;
    private final Process process;

    private XServer(int display, String cookie, Process process) {
        this.display = display;
        this.cookie = cookie;
        this.process = process;
    }

    /** Starts one on the first display from 90 that is free, with its cookie in a file under {@code dir}. */
    static XServer start(Path dir) throws Exception {
        String cookie = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        for (int n = FIRST_DISPLAY; n <= LAST_DISPLAY; n++) {
            if (Files.exists(Path.of("/tmp/.X" + n + "-lock")) || Files.exists(Path.of("/tmp/.X11-unix/X" + n))) continue;
            Path serverAuthority = dir.resolve("server-" + n + ".xauth");
            addCookie(serverAuthority, n, cookie);
            Process p = new ProcessBuilder("Xvfb", ":" + n, "-auth", serverAuthority.toString(), "-nolisten", "tcp", "-screen", "0", "640x480x24")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("xvfb-" + n + ".log").toFile()).start();
            XServer server = new XServer(n, cookie, p);
            if (server.awaitReady()) return server;
            server.close(); // another server took the display first
        }
        fail("no free X display from :" + FIRST_DISPLAY + " to :" + LAST_DISPLAY);
        return null;
    }

    /** Returns the display's name, {@code :N}. */
    String name() {
        return ":" + display;
    }

    /** Returns the display's pathname socket. */
    Path socket() {
        return Path.of("/tmp/.X11-unix/X" + display);
    }

    /** Writes a client's cookie file (what XAUTHORITY names) at {@code file}, owned by {@code user} alone (mode 0600). */
    void writeClientAuthority(Path file, String user) throws Exception {
        addCookie(file, display, cookie);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Requirements.ProcessResult chown = Requirements.run(Path.of("/"), "chown", user + ":", file.toString());
        assertEquals(0, chown.exitCode(), chown.output());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM: Xvfb removes its lock file and sockets
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    /** Waits until the pathname socket is there (true), or the server has exited (false: the display was taken). */
    private boolean awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) return false;
            if (Files.exists(socket())) return true;
            Thread.sleep(20);
        }
        fail("Xvfb " + name() + " made no socket in 20 s");
        return false;
    }

    private static void addCookie(Path file, int display, String cookie) throws IOException, InterruptedException {
        Requirements.ProcessResult added = Requirements.run(Path.of("/"), "xauth", "-q", "-f", file.toString(), "add", ":" + display,
                "MIT-MAGIC-COOKIE-1", cookie);
        assertEquals(0, added.exitCode(), added.output());
    }
}
