package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Under sudo, nstun must not be root-equivalent for the user who ran it: the files it opens on the
 * user's behalf are opened with the user's rights (no symbolic link followed for one it writes),
 * and {@code -u} names another user only for a real root. A throwaway system user stands for the
 * invoker; SUDO_UID/SUDO_GID/SUDO_USER say what sudo would.
 */
class SudoIT {
    private static final String USER = "nstun-sudoit";
    private static final byte[] PRECIOUS = "root's own, not to be touched\n".getBytes();

    private static Path dir;
    private static Map<String, String> sudo;

    @BeforeAll
    static void createTheInvoker() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("useradd");
        Requirements.run(Path.of("/"), "userdel", USER); // left by a killed run, if any
        Requirements.ProcessResult add = Requirements.run(Path.of("/"), "useradd", "--system", "--no-create-home",
                "--shell", "/usr/sbin/nologin", USER);
        assertEquals(0, add.exitCode(), add.output());
        String uid = id("-u");
        String gid = id("-g");
        sudo = Map.of("SUDO_UID", uid, "SUDO_GID", gid, "SUDO_USER", USER);
        // The user may enter this directory (a test's temporary directory is 0700) but write only in "mine".
        dir = Files.createTempDirectory("nstun-sudoit");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectory(dir.resolve("mine"));
        Files.setOwner(dir.resolve("mine"), user());
        Files.createDirectory(dir.resolve("roots"));
        Files.write(dir.resolve("precious"), PRECIOUS);
        // Readable by root's group too: reading it would show that root's supplementary groups stayed.
        Files.setPosixFilePermissions(dir.resolve("precious"), PosixFilePermissions.fromString("rw-r-----"));
        Files.createSymbolicLink(dir.resolve("mine/trace.pcap"), dir.resolve("precious"));
    }

    @AfterAll
    static void removeTheInvoker() throws Exception {
        if (dir != null) Requirements.run(Path.of("/"), "rm", "-rf", dir.toString());
        Requirements.run(Path.of("/"), "userdel", USER);
    }

    @Test
    void pcapOntoASymbolicLinkIsRefusedAndItsTargetUntouched() throws Exception {
        FileTime before = Files.getLastModifiedTime(dir.resolve("precious"));
        NstunProcess p = underSudo("run", "--pcap", dir.resolve("mine/trace.pcap").toString(), "--", "true");
        assertAll(
                () -> assertEquals(125, p.exitCode(), p.describe()),
                () -> assertTrue(p.stderr().contains("symbolic link"), p.describe()),
                () -> assertArrayEquals(PRECIOUS, Files.readAllBytes(dir.resolve("precious")), "the link's target was written"),
                () -> assertEquals(before, Files.getLastModifiedTime(dir.resolve("precious"))),
                () -> assertTrue(Files.isSymbolicLink(dir.resolve("mine/trace.pcap")), "the link was replaced"));
    }

    @Test
    void pcapWhereTheUserCannotWriteIsRefused() throws Exception {
        Path out = dir.resolve("roots/trace.pcap");
        NstunProcess p = underSudo("run", "--pcap", out.toString(), "--", "true");
        assertAll(
                () -> assertEquals(125, p.exitCode(), p.describe()),
                () -> assertTrue(p.stderr().contains("permission denied") && p.stderr().contains(USER), p.describe()),
                () -> assertFalse(Files.exists(out, LinkOption.NOFOLLOW_LINKS), "nstun created " + out + " as root"));
    }

    @Test
    void pcapTheUserCanCreateBelongsToTheUser() throws Exception {
        Path out = dir.resolve("mine/own.pcap");
        NstunProcess p = underSudo("run", "--pcap", out.toString(), "--", "true");
        assertEquals(0, p.exitCode(), p.describe());
        assertEquals(user(), Files.getOwner(out, LinkOption.NOFOLLOW_LINKS), "owner of " + out);
        ByteBuffer header = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.nativeOrder());
        assertEquals(0xa1b2c3d4, header.getInt(0), "pcap magic");
    }

    @Test
    void policyAndPasswordFilesAreReadWithTheUsersRights() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret"), "hunter2\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Path policy = Files.writeString(dir.resolve("mine/policy.yaml"), String.join("\n",
                "outbounds:",
                "  - {name: corp, type: socks5, server: \"127.0.0.1:1080\", username: u, password-file: " + secret + "}",
                "rules:",
                "  - {outbound: corp}", ""));
        NstunProcess asTheUser = underSudo("run", "-p", policy.toString(), "--", "true");
        assertEquals(125, asTheUser.exitCode(), asTheUser.describe());
        assertTrue(asTheUser.stderr().contains("cannot read password-file") && asTheUser.stderr().contains("permission denied"),
                asTheUser.describe());
        // Control: the same policy does for root, who may read the password file.
        NstunProcess asRoot = NstunProcess.start(List.of("env", "-u", "SUDO_UID", "-u", "SUDO_GID", "-u", "SUDO_USER"), Map.of(),
                "run", "-p", policy.toString(), "--", "true");
        asRoot.closeStdin();
        assertEquals(0, asRoot.await(), asRoot.describe());
        // A root-only file as the policy: its text (quoted by a parse error) must not reach the user.
        NstunProcess rootOnly = underSudo("check", dir.resolve("precious").toString());
        assertEquals(125, rootOnly.exitCode(), rootOnly.describe());
        assertTrue(rootOnly.stderr().contains("permission denied"), rootOnly.describe());
        assertFalse(rootOnly.stderr().contains("not to be touched"), rootOnly.describe());
    }

    @Test
    void userOptionNamesNoOneElseUnderSudo() throws Exception {
        for (String other : List.of("root", "0", "daemon")) {
            NstunProcess p = underSudo("run", "-u", other, "--", "id", "-u");
            assertEquals(125, p.exitCode(), p.describe());
            assertTrue(p.stderr().contains("only root may run the command as another user"), p.describe());
            assertEquals("", p.stdout(), p.describe());
        }
        NstunProcess self = underSudo("run", "-u", USER, "--", "id", "-un");
        assertEquals(0, self.exitCode(), self.describe());
        assertEquals(USER + "\n", self.stdout());
    }

    @Test
    void theCommandCannotSeeTheHostsFilesThroughAProcessOfTheSameUser() throws Exception {
        // A process of the invoking user in the host's mount namespace, as the shell that ran sudo would be.
        Process outside = new ProcessBuilder("setpriv", "--reuid=" + id("-u"), "--regid=" + id("-g"), "--clear-groups", "--",
                "sleep", "60").start();
        try {
            String hosts = "/proc/" + outside.pid() + "/root/etc/resolv.conf";
            // Control: the user can read it from outside, so only the command's place keeps it out.
            Requirements.ProcessResult control = Requirements.run(Path.of("/"), "setpriv", "--reuid=" + id("-u"), "--regid=" + id("-g"),
                    "--clear-groups", "--", "cat", hosts);
            assertEquals(0, control.exitCode(), "the control: " + control.output());
            NstunProcess p = underSudo("run", "--", "sh", "-c", "cat " + hosts + " >/dev/null 2>&1; echo read=$?; grep -c 198.18.0.2 /etc/resolv.conf");
            assertAll(
                    () -> assertEquals(0, p.exitCode(), p.describe()),
                    () -> assertTrue(p.stdout().contains("read=1\n"), "the host's resolv.conf was read through /proc: " + p.describe()),
                    () -> assertTrue(p.stdout().contains("\n1\n"), "its own resolv.conf is nstun's: " + p.describe()));
        } finally {
            outside.destroyForcibly();
            outside.waitFor();
        }
    }

    private static NstunProcess underSudo(String... args) throws Exception {
        NstunProcess p = NstunProcess.start(List.of(), sudo, args);
        p.closeStdin();
        p.await();
        return p;
    }

    private static UserPrincipal user() throws Exception {
        return dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(USER);
    }

    private static String id(String what) throws Exception {
        Requirements.ProcessResult r = Requirements.run(Path.of("/"), "id", what, USER);
        assertEquals(0, r.exitCode(), r.output());
        return r.output().trim();
    }
}
