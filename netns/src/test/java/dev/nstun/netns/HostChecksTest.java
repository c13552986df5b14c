package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks read a machine's knobs from files: here from a directory the test fills. */
class HostChecksTest {
    private static final HostChecks.Subject USER = new HostChecks.Subject(false, true, 1000, new long[] {1000});
    @TempDir Path dir;
    private HostChecks checks;

    @BeforeEach
    void aMachineWhereEverythingIsAllowed() throws IOException {
        knob("user/max_user_namespaces", "15000");
        knob("net/ipv4/ping_group_range", "0\t2147483647");
        Files.writeString(dir.resolve("tun"), "");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String tool : List.of("setpriv", "unshare", "nsenter")) {
            Path t = Files.writeString(bin.resolve(tool), "#!/bin/sh\n");
            t.toFile().setExecutable(true);
        }
        checks = new HostChecks(new HostChecks.Knobs(dir.resolve("sys"), dir.resolve("tun"), dir.resolve("profiles"), dir.resolve("apparmor.d"),
                bin.toString()));
    }

    @Test
    void allowedEverywhereEveryCheckPasses() {
        List<HostChecks.Check> all = checks.all(USER);
        assertEquals(List.of("user namespaces", "AppArmor", "util-linux", dir.resolve("tun").toString(), "ping"),
                all.stream().map(HostChecks.Check::subject).toList());
        assertTrue(all.stream().allMatch(c -> c.status() == HostChecks.Status.OK), all.toString());
    }

    @Test
    void userNamespacesDisabledEitherWaySayWhichKnob() throws IOException {
        knob("user/max_user_namespaces", "0");
        assertEquals("sudo sysctl -w user.max_user_namespaces=15000 (and the same line in /etc/sysctl.d/ to keep it), or run nstun with sudo",
                failed("user namespaces").fix());
        knob("user/max_user_namespaces", "100");
        knob("kernel/unprivileged_userns_clone", "0");
        assertTrue(failed("user namespaces").fix().startsWith("sudo sysctl -w kernel.unprivileged_userns_clone=1"));
    }

    @Test
    void apparmorsRestrictionNeedsNstunsProfile() throws IOException {
        knob("kernel/apparmor_restrict_unprivileged_userns", "1");
        assertTrue(failed("AppArmor").fix().contains("scripts/install"), failed("AppArmor").toString());
        // Installed (by the .deb, say) but not loaded: the kernel's list says so, and the fix is to load it.
        Path installed = Files.createDirectories(dir.resolve("apparmor.d")).resolve(HostChecks.APPARMOR_PROFILE);
        Files.writeString(installed, "profile nstun {}\n");
        Files.writeString(dir.resolve("profiles"), "chrome (unconfined)\n");
        assertEquals("sudo apparmor_parser -r " + installed + ", or run nstun with sudo", failed("AppArmor").fix());
        Files.writeString(dir.resolve("profiles"), "chrome (unconfined)\n" + HostChecks.APPARMOR_PROFILE + " (unconfined)\n");
        assertEquals(HostChecks.Status.OK, check("AppArmor").status());
    }

    @Test
    void aMissingTunDeviceOrToolIsSaidWithItsFix() throws IOException {
        Files.delete(dir.resolve("tun"));
        Files.delete(dir.resolve("bin/nsenter"));
        assertEquals("sudo modprobe tun (and add 'tun' to /etc/modules to keep it)", failed(dir.resolve("tun").toString()).fix());
        assertEquals("nsenter not found on PATH", failed("util-linux").found());
    }

    @Test
    void pingOutsideTheGroupRangeIsAWarningNotABlocker() throws IOException {
        knob("net/ipv4/ping_group_range", "1\t0");
        HostChecks.Check ping = check("ping");
        assertEquals(HostChecks.Status.WARNING, ping.status());
        assertTrue(ping.found().contains("administratively prohibited"), ping.toString());
        assertEquals(HostChecks.Status.OK, checks.all(new HostChecks.Subject(true, true, 0, new long[0])).stream().filter(c -> c.subject().equals("ping")).findFirst()
                .orElseThrow().status(), "root pings with raw sockets");
    }

    @Test
    void anotherUsersAccessIsJudgedFromTheModeBits() throws IOException {
        Path tun = dir.resolve("tun");
        int owner = (Integer) Files.getAttribute(tun, "unix:uid");
        int group = (Integer) Files.getAttribute(tun, "unix:gid");
        Files.setPosixFilePermissions(tun, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw----"));
        HostChecks.Subject stranger = new HostChecks.Subject(false, false, owner + 4242, new long[] {group + 4242});
        HostChecks.Subject member = new HostChecks.Subject(false, false, owner + 4242, new long[] {group});
        assertEquals(HostChecks.Status.FAILED, status(stranger, tun.toString()));
        assertEquals(HostChecks.Status.OK, status(member, tun.toString()));
        Files.setPosixFilePermissions(tun, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        assertEquals(HostChecks.Status.OK, status(stranger, tun.toString()));
    }

    private HostChecks.Status status(HostChecks.Subject who, String subject) {
        return checks.all(who).stream().filter(c -> c.subject().equals(subject)).findFirst().orElseThrow().status();
    }

    private HostChecks.Check check(String subject) {
        return checks.all(USER).stream().filter(c -> c.subject().equals(subject)).findFirst().orElseThrow();
    }

    private HostChecks.Check failed(String subject) {
        HostChecks.Check c = check(subject);
        assertEquals(HostChecks.Status.FAILED, c.status(), c.toString());
        return c;
    }

    private void knob(String name, String value) throws IOException {
        Path file = dir.resolve("sys").resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, value + "\n");
    }
}
