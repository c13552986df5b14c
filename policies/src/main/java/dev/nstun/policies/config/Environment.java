package dev.nstun.policies.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What the loader may read besides the policy file: environment variables ({@code password-env}),
 * the home directory ({@code ~} in {@code password-file}), secret files and rule-set files. Injected so that tests,
 * and a CLI running under sudo for another user, decide what these are.
 */
public interface Environment {

    /** Returns the value of an environment variable, or empty when it is not set. */
    Optional<String> variable(String name);

    /** Returns the directory {@code ~} stands for. */
    Path home();

    /** Returns the content of a password file ({@link UserFile.Kind#PASSWORD}). */
    String readFile(Path path) throws UserFile.Unreadable;

    /** Returns the content of a rule-set file ({@link UserFile.Kind#RULE_SET}); by default from the file system. */
    default String readRuleSet(Path path) throws UserFile.Unreadable {
        return UserFile.read(path, UserFile.Kind.RULE_SET);
    }

    /** Returns the process's own environment, {@code user.home} and the file system. */
    static Environment system() {
        return new Environment() {
            @Override
            public Optional<String> variable(String name) {
                return Optional.ofNullable(System.getenv(name));
            }

            @Override
            public Path home() {
                return Path.of(System.getProperty("user.home"));
            }

            @Override
            public String readFile(Path path) throws UserFile.Unreadable {
                return UserFile.read(path, UserFile.Kind.PASSWORD);
            }
        };
    }
}
