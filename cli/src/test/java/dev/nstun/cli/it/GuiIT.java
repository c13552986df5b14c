package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A desktop program run with {@code sudo nstun run} reaches the user's session: a user of its own
 * runs the real sudo (allowed by a sudoers file of the test's), from an environment such as a
 * desktop's terminal has, and in nstun's namespaces an X client draws on an Xvfb that takes only
 * its cookie and a D-Bus client asks the user's session bus, which lets in only that user. sudo's
 * env_reset keeps the session's variables from nstun; nstun gives them back to the command, which
 * reads the user's own cookie file, reaches the display through the pathname socket (the abstract
 * one is another network namespace's) and the bus in the user's runtime directory.
 */
class GuiIT {
    private static final String USER = "nstun-guiit";
    private static final Path SUDOERS = Path.of("/etc/sudoers.d/nstun-guiit");
    private static final String PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
    /** A call to the session bus's own service, which answers only a client it authenticated (SO_PEERCRED's uid). */
    private static final String ASK_THE_BUS = "dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus"
            + " org.freedesktop.DBus.GetId >/dev/null";

    private static Path dir;
    private static Path home;
    private static XServer x;
    private static Process bus;
    private static Map<String, String> session;

    @BeforeAll
    static void setUpTheUserAndTheirDisplay() throws Exception {
        Requirements.requireRoot();
        for (String c : List.of("Xvfb", "xdpyinfo", "xauth", "dbus-daemon", "dbus-send", "sudo", "visudo", "useradd", "setpriv")) {
            Requirements.requireCommand(c);
        }
        removeTheUser(); // left by a killed run, if any
        dir = Files.createTempDirectory("nstun-guiit");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        home = Files.createDirectory(dir.resolve("home"));
        Requirements.ProcessResult add = Requirements.run(Path.of("/"), "useradd", "--system", "--no-create-home", "--home-dir", home.toString(),
                "--shell", "/bin/sh", USER);
        assertEquals(0, add.exitCode(), add.output());
        Files.writeString(SUDOERS, USER + " ALL=(root) NOPASSWD: ALL\n");
        Files.setPosixFilePermissions(SUDOERS, PosixFilePermissions.fromString("r--r-----"));
        Requirements.ProcessResult valid = Requirements.run(Path.of("/"), "visudo", "-c", "-f", SUDOERS.toString());
        assertEquals(0, valid.exitCode(), valid.output());
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        Requirements.run(Path.of("/"), "chown", USER + ":", home.toString());
        x = XServer.start(Files.createDirectory(dir.resolve("xserver")));
        x.writeClientAuthority(home.resolve(".Xauthority"), USER);
        // The user's runtime directory (what /run/user/UID is in a desktop session) and their session bus in it.
        Path runtime = Files.createDirectory(dir.resolve("runtime"));
        Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwx------"));
        Requirements.run(Path.of("/"), "chown", USER + ":", runtime.toString());
        bus = new ProcessBuilder("setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups", "--", "dbus-daemon", "--session",
                "--nofork", "--address=unix:path=" + runtime.resolve("bus")).redirectErrorStream(true)
                .redirectOutput(dir.resolve("dbus.log").toFile()).start();
        for (int i = 0; i < 500 && !Files.exists(runtime.resolve("bus")); i++) Thread.sleep(20);
        assertTrue(Files.exists(runtime.resolve("bus")), "dbus-daemon made no socket: " + Files.readString(dir.resolve("dbus.log")));
        // What a desktop session's terminal has; the X server and the bus are real, Wayland's and PulseAudio's sockets need not exist.
        session = new LinkedHashMap<>();
        session.put("DISPLAY", x.name());
        session.put("XAUTHORITY", home.resolve(".Xauthority").toString());
        session.put("WAYLAND_DISPLAY", "wayland-0");
        session.put("XDG_RUNTIME_DIR", runtime.toString());
        session.put("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + runtime + "/bus");
        session.put("PULSE_SERVER", "unix:" + runtime + "/pulse/native");
    }

    @AfterAll
    static void removeTheUserAndTheirDisplay() throws Exception {
        if (x != null) x.close();
        if (bus != null) {
            bus.destroy();
            bus.waitFor();
        }
        if (dir != null) Requirements.run(Path.of("/"), "rm", "-rf", dir.toString());
        removeTheUser();
    }

    @Test
    void anXClientUnderSudoDrawsOnTheUsersDisplayWithTheSessionsVariables() throws Exception {
        Requirements.ProcessResult run = asUser("sudo", "-n", Requirements.repoRoot().resolve("nstun").toString(), "run", "--",
                "sh", "-c", "xdpyinfo | grep '^name of display'; " + ASK_THE_BUS + " && echo the-bus-answered; env");
        assertEquals(0, run.exitCode(), run.output());
        assertTrue(run.output().contains("name of display:    " + x.name() + "\n"), run.output());
        assertTrue(run.output().contains("\nthe-bus-answered\n"), run.output());
        for (Map.Entry<String, String> e : session.entrySet()) {
            assertTrue(run.output().contains("\n" + e.getKey() + "=" + e.getValue() + "\n"), e.getKey() + " in the command's environment:\n" + run.output());
        }
        assertTrue(run.output().contains("\nHOME=" + home + "\n"), run.output());
    }

    @Test
    void whatSudoPassedWinsOverTheSessionsOwn() throws Exception {
        Requirements.ProcessResult run = asUser("sudo", "-n", "env", "WAYLAND_DISPLAY=wayland-1", Requirements.repoRoot().resolve("nstun").toString(),
                "run", "--", "printenv", "WAYLAND_DISPLAY");
        assertEquals(0, run.exitCode(), run.output());
        assertTrue(run.output().endsWith("\nwayland-1\n") || run.output().equals("wayland-1\n"), run.output());
    }

    @Test
    void controlsSudoDropsTheSessionAndTheDisplayWantsTheUsersCookie() throws Exception {
        // sudo's env_reset: without nstun, the command under sudo has no Wayland, bus, sound or runtime directory.
        Requirements.ProcessResult sudoEnv = asUser("sudo", "-n", "env");
        assertEquals(0, sudoEnv.exitCode(), sudoEnv.output());
        for (String dropped : List.of("WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS", "PULSE_SERVER")) {
            assertFalse(sudoEnv.output().contains(dropped + "="), dropped + " under plain sudo:\n" + sudoEnv.output());
        }
        // Another cookie file (none at all): the server refuses the client.
        List<String> noCookie = new ArrayList<>(List.of("setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups", "--",
                "env", "-i", "PATH=" + PATH, "HOME=" + home, "XAUTHORITY=" + dir.resolve("none"), "xdpyinfo", "-display", x.name()));
        Requirements.ProcessResult refused = Requirements.run(Path.of("/"), noCookie.toArray(String[]::new));
        assertNotEquals(0, refused.exitCode(), refused.output());
    }

    @Test
    void controlInAnotherNetworkNamespaceOnlyThePathnameSocketReachesTheServer() throws Exception {
        String client = "XAUTHORITY=" + home.resolve(".Xauthority") + " xdpyinfo -display " + x.name() + " >/dev/null 2>&1; echo $?";
        Requirements.ProcessResult withPath = Requirements.run(Path.of("/"), "unshare", "--net", "--", "sh", "-c", client);
        Requirements.ProcessResult abstractOnly = Requirements.run(Path.of("/"), "unshare", "--net", "--mount", "--", "sh", "-c",
                "mount -t tmpfs nstun-guiit " + x.socket().getParent() + " && " + client);
        assertAll(
                () -> assertEquals("0\n", withPath.output(), "through /tmp/.X11-unix from another network namespace"),
                () -> assertNotEquals("0\n", abstractOnly.output(), "with /tmp/.X11-unix hidden, the abstract socket is the host namespace's"));
    }

    /** Runs {@code command} as the user, from the session's environment (env -i: nothing of root's). */
    private static Requirements.ProcessResult asUser(String... command) throws Exception {
        List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups", "--",
                "env", "-i", "PATH=" + PATH, "HOME=" + home, "USER=" + USER, "LOGNAME=" + USER, "LANG=C.UTF-8"));
        session.forEach((k, v) -> argv.add(k + "=" + v));
        argv.addAll(List.of(command));
        return Requirements.run(Path.of("/"), argv.toArray(String[]::new));
    }

    private static void removeTheUser() throws Exception {
        Files.deleteIfExists(SUDOERS);
        Requirements.run(Path.of("/"), "userdel", USER);
    }
}
