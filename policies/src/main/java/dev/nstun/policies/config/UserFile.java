package dev.nstun.policies.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads the text files nstun reads for the user (the policy, rule sets, password files): only a regular file
 * (or a symbolic link to one), at most a size that depends on what the file is for, as strict
 * UTF-8. Anything else is refused with one line that says what the path names instead: a
 * symbolic link to {@code /dev/zero} would otherwise fill the heap, and opening a FIFO would wait
 * for a writer forever.
 *
 * <p>The type is checked before the file is opened, since opening a FIFO is what blocks. A path
 * that someone swaps for a FIFO between the check and the open can still make the open wait;
 * only someone who may write the directory can do that, and the size cap holds whatever is read.
 */
public final class UserFile {

    /** What a file is for: the most it may hold, and what its path should name. */
    public enum Kind {
        /** A policy: room for a rule set of 100 000 domains several times over. */
        POLICY("a policy file", 8L * 1024 * 1024, "a YAML file"),
        /** A rule set: a million names of 15 characters. */
        RULE_SET("a rule-set file", 16L * 1024 * 1024, "a list of names or prefixes"),
        /**
         * A password file: one line. SOCKS5 takes passwords of up to 255 bytes (RFC 1929), and
         * HTTP proxies refuse header lines over 8 KiB (the Apache and nginx defaults).
         */
        PASSWORD("a password file", 8 * 1024, "a file holding the password");

        private final String noun;
        private final long maxBytes;
        private final String wanted;

        Kind(String noun, long maxBytes, String wanted) {
            this.noun = noun;
            this.maxBytes = maxBytes;
            this.wanted = wanted;
        }

        /** Returns the largest file of this kind, in bytes. */
        public long maxBytes() {
            return maxBytes;
        }
    }

    /** Why a file was not read. */
    public enum Refusal {
        NO_SUCH_FILE,
        PERMISSION_DENIED,
        /** A directory, FIFO, device or socket. */
        NOT_A_REGULAR_FILE,
        TOO_LARGE,
        NOT_UTF8,
        /** Any other error of the file system, as it gave it. */
        READ_ERROR
    }

    /** A file that was not read; the message is one line for the user, without the path. */
    public static final class Unreadable extends IOException {
        private final Refusal refusal;

        public Unreadable(Refusal refusal, String message) {
            super(message);
            this.refusal = refusal;
        }

        /** Returns why the file was not read. */
        public Refusal refusal() {
            return refusal;
        }
    }

    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFIFO = 0010000;

    private UserFile() {
    }

    /** Returns the content of a file of the given kind, following symbolic links. */
    public static String read(Path path, Kind kind) throws Unreadable {
        byte[] bytes;
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                throw new Unreadable(Refusal.NOT_A_REGULAR_FILE,
                        "not a regular file (" + typeOf(path, attributes) + "); give a path to " + kind.wanted);
            }
            if (attributes.size() > kind.maxBytes) {
                throw tooLarge("the file is " + attributes.size() + " bytes", kind);
            }
            try (InputStream in = Files.newInputStream(path)) {
                // One byte more than allowed tells a file that grew since it was measured.
                bytes = in.readNBytes((int) kind.maxBytes + 1);
            }
        } catch (NoSuchFileException e) {
            throw new Unreadable(Refusal.NO_SUCH_FILE, "no such file");
        } catch (AccessDeniedException e) {
            throw new Unreadable(Refusal.PERMISSION_DENIED, "permission denied");
        } catch (Unreadable e) {
            throw e;
        } catch (IOException e) {
            String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage();
            throw new Unreadable(Refusal.READ_ERROR, reason);
        }
        if (bytes.length > kind.maxBytes) {
            throw tooLarge("the file has more than " + kind.maxBytes + " bytes", kind);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new Unreadable(Refusal.NOT_UTF8, "not UTF-8 text");
        }
    }

    private static Unreadable tooLarge(String size, Kind kind) {
        return new Unreadable(Refusal.TOO_LARGE, size + "; " + kind.noun + " may have at most " + kind.maxBytes);
    }

    /** Returns what a path that is not a regular file names, as {@code ls -l}'s first letter would tell. */
    private static String typeOf(Path path, BasicFileAttributes attributes) {
        if (attributes.isDirectory()) {
            return "a directory";
        }
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "a special file";
        }
        return switch (mode & S_IFMT) {
            case S_IFIFO -> "a FIFO";
            case S_IFCHR -> "a character device";
            case S_IFBLK -> "a block device";
            case S_IFSOCK -> "a socket";
            default -> "a special file";
        };
    }
}
