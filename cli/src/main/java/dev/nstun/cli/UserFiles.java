package dev.nstun.cli;

import dev.nstun.netns.Credentials;
import dev.nstun.netns.FileSystemIdentity;
import dev.nstun.netns.Users;
import dev.nstun.policies.config.Environment;
import dev.nstun.policies.config.Policy;
import dev.nstun.policies.config.PolicyException;
import dev.nstun.policies.config.Location;
import dev.nstun.policies.config.PolicyLoader;
import dev.nstun.policies.config.Problem;
import dev.nstun.policies.config.UserFile;
import dev.nstun.policies.learn.LearnedPolicy;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The files nstun reads or writes on the user's behalf (the policy and the password files it names,
 * the {@code --pcap} output), opened with the rights of whoever ran sudo, never with root's: see
 * {@link FileSystemIdentity}. Started by root without sudo, nstun opens them as root.
 */
final class UserFiles {
    private final Credentials invoker;

    private UserFiles(Credentials invoker) {
        this.invoker = invoker;
    }

    /** Returns the files of the user who ran sudo (of root, without sudo). */
    static UserFiles ofInvoker() {
        return new UserFiles(Users.invoker(System.getenv()));
    }

    /** Loads the policy {@code file}; it and the password files it names are read with the invoking user's rights. */
    Policy loadPolicy(Path file, Environment environment) throws PolicyException {
        return FileSystemIdentity.call(invoker, () -> PolicyLoader.load(file, environment));
    }

    /**
     * Starts learning for {@code --learn file} from a run under {@code run}: into {@code file} as it
     * is when it exists (read with the invoking user's rights), else from nothing.
     */
    LearnedPolicy startLearning(Path file, Policy run, Environment environment) throws PolicyException {
        return FileSystemIdentity.call(invoker, () -> {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return LearnedPolicy.start(run);
            String text;
            try {
                text = UserFile.read(file, UserFile.Kind.POLICY);
            } catch (UserFile.Unreadable e) {
                throw new PolicyException(List.of(Problem.at(Location.nowhere(file.toString()), "cannot read it to learn into: " + e.getMessage())));
            }
            Path parent = file.toAbsolutePath().getParent();
            return LearnedPolicy.merging(run, file.toString(), text, parent, environment);
        });
    }

    /**
     * Opens {@code file} for writing, created or emptied, with the invoking user's rights; a symbolic
     * link there is refused, not followed. The message of what is thrown says why in words.
     */
    FileChannel createOutput(Path file) throws IOException {
        return FileSystemIdentity.call(invoker, () -> {
            try {
                return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS);
            } catch (AccessDeniedException e) {
                throw new IOException("permission denied" + (invoker.unchanged() ? ""
                        : " (nstun writes it with the rights of " + who() + ", who ran sudo)"), e);
            } catch (NoSuchFileException e) {
                throw new IOException("no such directory: " + file.toAbsolutePath().getParent(), e);
            } catch (IOException e) {
                if (Files.isSymbolicLink(file)) {
                    throw new IOException("is a symbolic link, which nstun does not follow for a file it writes: give the path it points to", e);
                }
                throw e;
            }
        });
    }

    private String who() {
        return invoker.userName() != null ? invoker.userName() : "uid " + invoker.uid();
    }
}
