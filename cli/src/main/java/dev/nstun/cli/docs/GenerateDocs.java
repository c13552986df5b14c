package dev.nstun.cli.docs;

import dev.nstun.cli.Nstun;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Run by the build (cli/pom.xml, after compiling): writes the shell completion scripts and man
 * pages of {@code nstun} into a directory, laid out as scripts/install copies them:
 * {@code completion/nstun.bash}, {@code completion/_nstun}, {@code completion/nstun.fish},
 * {@code man/nstun.1}, {@code man/nstun-run.1}, …
 */
public final class GenerateDocs {
    private GenerateDocs() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) throw new IllegalArgumentException("usage: GenerateDocs OUTPUT_DIR");
        write(Path.of(args[0]));
    }

    /** Writes every file into {@code dir}. */
    static void write(Path dir) throws IOException {
        CommandLine cl = Nstun.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        Path completion = Files.createDirectories(dir.resolve("completion"));
        Files.writeString(completion.resolve("nstun.bash"), ShellCompletion.bash(cl));
        Files.writeString(completion.resolve("_nstun"), ShellCompletion.zsh(cl));
        Files.writeString(completion.resolve("nstun.fish"), ShellCompletion.fish(cl));
        Path man = Files.createDirectories(dir.resolve("man"));
        String version = cl.getCommandSpec().version()[0];
        for (CommandSpec spec : ManPage.documented(cl.getCommandSpec())) {
            Files.writeString(man.resolve(ManPage.fileName(spec)), ManPage.of(spec, version));
        }
    }
}
