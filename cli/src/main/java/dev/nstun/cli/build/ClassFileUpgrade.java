package dev.nstun.cli.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

/**
 * Run by the build (cli/pom.xml, once the jar is shaded): rewrites the jar's class files older than
 * Java 6 (format 50) as format 50, with the stack-map frames that format carries, and leaves every
 * other entry as it was. picocli is compiled for Java 5, and
 * HotSpot's class-data archives hold no class of format 49 or older (they need the old verifier,
 * which runs only at load): the launcher's archive covered none of picocli's 176 classes, which
 * every command loads and verifies from the jar. Format 50 changes nothing in what the code does
 * (no instruction of 49 is refused in 50), and a class the rewrite cannot take stays as it was.
 */
public final class ClassFileUpgrade {
    /** The oldest class-file format that class-data archives take. */
    static final int ARCHIVED_FORMAT = Opcodes.V1_6;

    private ClassFileUpgrade() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) throw new IllegalArgumentException("usage: ClassFileUpgrade JAR");
        rewrite(Path.of(args[0]));
    }

    /** Rewrites {@code jar} in place (through a new file beside it, moved over it). */
    static void rewrite(Path jar) throws IOException {
        Path next = Files.createTempFile(jar.toAbsolutePath().getParent(), jar.getFileName().toString(), ".tmp");
        try (ZipFile in = new ZipFile(jar.toFile()); ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(next))) {
            for (Enumeration<? extends ZipEntry> entries = in.entries(); entries.hasMoreElements();) {
                ZipEntry entry = entries.nextElement();
                byte[] bytes = in.getInputStream(entry).readAllBytes();
                if (entry.getName().endsWith(".class")) bytes = upgraded(bytes);
                copy(entry, bytes, out);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(next);
            throw e;
        }
        Files.setPosixFilePermissions(next, Files.getPosixFilePermissions(jar)); // a temporary file is the owner's only
        Files.move(next, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Returns {@code classFile} in format {@link #ARCHIVED_FORMAT} when it is older, else as it is. */
    static byte[] upgraded(byte[] classFile) {
        if (majorVersion(classFile) >= ARCHIVED_FORMAT) return classFile;
        ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_FRAMES);
        try {
            new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9, writer) {
                @Override
                public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
                    super.visit(ARCHIVED_FORMAT, access, name, signature, superName, interfaces);
                }
            }, 0);
        } catch (IllegalArgumentException | TypeNotPresentException e) {
            // JSR/RET, which frames cannot describe, or a type the build's class path lacks: the
            // old format keeps working, only outside the archive.
            return classFile;
        }
        return writer.toByteArray();
    }

    /** Returns the major version of a class file (49: Java 5, 50: Java 6, …). */
    static int majorVersion(byte[] classFile) {
        return (classFile[6] & 0xff) << 8 | classFile[7] & 0xff;
    }

    private static void copy(ZipEntry entry, byte[] bytes, ZipOutputStream out) throws IOException {
        ZipEntry copy = new ZipEntry(entry.getName());
        copy.setTime(entry.getTime());
        out.putNextEntry(copy);
        out.write(bytes);
        out.closeEntry();
    }
}
