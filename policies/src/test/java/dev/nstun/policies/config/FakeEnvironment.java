package dev.nstun.policies.config;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** An environment of fixed variables and in-memory files, with /home/alice as home. */
public final class FakeEnvironment implements Environment {
    public static final Path HOME = Path.of("/home/alice");

    private final Map<String, String> variables = new HashMap<>();
    private final Map<Path, String> files = new HashMap<>();
    private final Set<Path> unreadable = new java.util.HashSet<>();

    /** Returns the environment the golden files are checked in. */
    /** The real file system (files read as a password file is), a home directory of the test's choosing, no variables. */
    public static Environment realFilesUnder(Path home) {
        return new Environment() {
            @Override
            public Optional<String> variable(String name) {
                return Optional.empty();
            }

            @Override
            public Path home() {
                return home;
            }

            @Override
            public String readFile(Path path) throws UserFile.Unreadable {
                return UserFile.read(path, UserFile.Kind.PASSWORD);
            }
        };
    }

    public static FakeEnvironment standard() {
        return new FakeEnvironment()
                .withFile("/home/alice/.corp-pass", "s3cret\n")
                .withFile("/home/alice/.web-pass", "web-secret\r\n")
                .withFile("/home/alice/empty-pass", "")
                .withFile("/home/alice/two-lines", "one\ntwo\n")
                .withFile("/etc/nstun/relative-pass", "relative\n")
                .withUnreadable("/home/alice/locked-pass")
                .withVariable("CORP_PASS", "from-env")
                .withVariable("EMPTY_PASS", "");
    }

    public FakeEnvironment withFile(String path, String content) {
        files.put(Path.of(path), content);
        return this;
    }

    public FakeEnvironment withUnreadable(String path) {
        unreadable.add(Path.of(path));
        return this;
    }

    public FakeEnvironment withVariable(String name, String value) {
        variables.put(name, value);
        return this;
    }

    @Override
    public Optional<String> variable(String name) {
        return Optional.ofNullable(variables.get(name));
    }

    @Override
    public Path home() {
        return HOME;
    }

    @Override
    public String readRuleSet(Path path) throws UserFile.Unreadable {
        return readFile(path);
    }

    @Override
    public String readFile(Path path) throws UserFile.Unreadable {
        Path normal = path.normalize();
        if (unreadable.contains(normal)) {
            throw new UserFile.Unreadable(UserFile.Refusal.PERMISSION_DENIED, "permission denied");
        }
        String content = files.get(normal);
        if (content == null) {
            throw new UserFile.Unreadable(UserFile.Refusal.NO_SUCH_FILE, "no such file");
        }
        return content;
    }
}
