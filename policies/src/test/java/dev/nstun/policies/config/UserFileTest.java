package dev.nstun.policies.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Paths a policy or password file option may name that are no text file: each is refused with one
 * line, at once. The timeout only guards against a hang (a FIFO's open would wait for a writer).
 */
class UserFileTest {
    private static final Duration HANG_GUARD = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void symlinkToDevZeroIsRefusedWithoutReading() throws Exception {
        Path policy = Files.createSymbolicLink(dir.resolve("policy.yaml"), Path.of("/dev/zero"));
        assertPolicyProblem(policy, "cannot read the policy: not a regular file (a character device); give a path to a YAML file");
    }

    @Test
    void fifoIsRefusedWithoutOpening() throws Exception {
        Path policy = dir.resolve("policy.yaml");
        assertEquals(0, new ProcessBuilder("mkfifo", policy.toString()).inheritIO().start().waitFor(), "mkfifo");
        assertPolicyProblem(policy, "cannot read the policy: not a regular file (a FIFO); give a path to a YAML file");
    }

    @Test
    void directoryIsRefused() throws Exception {
        Path policy = Files.createDirectory(dir.resolve("policy.yaml"));
        assertPolicyProblem(policy, "cannot read the policy: not a regular file (a directory); give a path to a YAML file");
    }

    @Test
    void oversizedPolicyIsRefusedBeforeReading() throws Exception {
        Path policy = dir.resolve("policy.yaml");
        try (var file = java.nio.channels.FileChannel.open(policy, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            file.truncate(0).position(1L << 40).write(java.nio.ByteBuffer.wrap(new byte[] {'\n'}));
        }
        assertPolicyProblem(policy, "cannot read the policy: the file is 1099511627777 bytes; a policy file may have at most 8388608");
    }

    @Test
    void symlinkToARegularFileIsFollowed() throws Exception {
        Path real = Files.writeString(dir.resolve("real.yaml"), "rules: [{outbound: drop}]\n");
        Path policy = Files.createSymbolicLink(dir.resolve("policy.yaml"), real);
        assertEquals("drop", PolicyLoader.load(policy, FakeEnvironment.standard()).rules().get(0).outbound());
    }

    @Test
    void passwordFileThatIsAFifoOrDeviceOrTooLargeIsAProblemAtItsKey() throws Exception {
        assertEquals(0, new ProcessBuilder("mkfifo", dir.resolve("fifo").toString()).inheritIO().start().waitFor(), "mkfifo");
        Files.createSymbolicLink(dir.resolve("zero"), Path.of("/dev/zero"));
        Files.writeString(dir.resolve("long"), "x".repeat((int) UserFile.Kind.PASSWORD.maxBytes() + 1));
        Path policy = Files.writeString(dir.resolve("policy.yaml"), """
                outbounds:
                  - {name: a, type: socks5, server: 10.0.0.5:1080, username: u, password-file: fifo}
                  - {name: b, type: socks5, server: 10.0.0.5:1080, username: u, password-file: zero}
                  - {name: c, type: http, server: 10.0.0.5:3128, username: u, password-file: long}
                rules: [{outbound: direct}]
                """);
        PolicyException e = assertTimeoutPreemptively(HANG_GUARD, () -> assertThrows(PolicyException.class,
                () -> PolicyLoader.load(policy, Environment.system())));
        String at = " (" + dir + "/";
        assertEquals(List.of(
                policy + ":2:80: cannot read password-file 'fifo'" + at + "fifo): not a regular file (a FIFO); give a path to a file"
                        + " holding the password",
                policy + ":3:80: cannot read password-file 'zero'" + at + "zero): not a regular file (a character device); give a"
                        + " path to a file holding the password",
                policy + ":4:78: cannot read password-file 'long'" + at + "long): the file is 8193 bytes; a password file may have at"
                        + " most 8192"),
                e.problems().stream().map(Problem::toString).toList());
    }

    @Test
    void refusalSaysWhy() throws Exception {
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor(), "mkfifo");
        UserFile.Unreadable e = assertTimeoutPreemptively(HANG_GUARD, () -> assertThrows(UserFile.Unreadable.class,
                () -> UserFile.read(fifo, UserFile.Kind.PASSWORD)));
        assertEquals(UserFile.Refusal.NOT_A_REGULAR_FILE, e.refusal());
        assertEquals(UserFile.Refusal.NO_SUCH_FILE, assertThrows(UserFile.Unreadable.class,
                () -> UserFile.read(dir.resolve("missing"), UserFile.Kind.PASSWORD)).refusal());
    }

    private static void assertPolicyProblem(Path policy, String message) {
        PolicyException e = assertTimeoutPreemptively(HANG_GUARD, () -> assertThrows(PolicyException.class,
                () -> PolicyLoader.load(policy, FakeEnvironment.standard())));
        assertEquals(List.of(policy + ": " + message), e.problems().stream().map(Problem::toString).toList());
    }
}
