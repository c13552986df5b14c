package dev.nstun.cli.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** A Java 5 class of picocli's, rewritten, against the original: format, verification, behaviour. */
class ClassFileUpgradeTest {
    private static final String RANGE = "picocli.CommandLine$Range";

    @Test
    void rewritesAJava5ClassAsFormat50ThatVerifiesAndBehavesTheSame() throws Exception {
        byte[] original = classFile(RANGE);
        assertEquals(49, ClassFileUpgrade.majorVersion(original), "picocli is no longer compiled for Java 5: this test needs another class");
        byte[] upgraded = ClassFileUpgrade.upgraded(original);
        assertEquals(50, ClassFileUpgrade.majorVersion(upgraded), "format");
        // Defined apart from the original and initialised: linking runs the type-checking verifier on the new frames.
        Class<?> range = new Isolated(RANGE, upgraded).loadClass(RANGE);
        Class.forName(RANGE, true, range.getClassLoader());
        Method valueOf = range.getMethod("valueOf", String.class);
        for (String arity : new String[] {"0", "1", "0..1", "1..*", "2..4", "*"}) {
            assertEquals(CommandLine.Range.valueOf(arity).toString(), valueOf.invoke(null, arity).toString(), "Range.valueOf(" + arity + ")");
        }
    }

    @Test
    void leavesNewerClassesAsTheyAre() throws IOException {
        byte[] own = classFile(ClassFileUpgrade.class.getName());
        assertSame(own, ClassFileUpgrade.upgraded(own));
    }

    private static byte[] classFile(String name) throws IOException {
        try (InputStream in = ClassFileUpgradeTest.class.getClassLoader().getResourceAsStream(name.replace('.', '/') + ".class")) {
            return in.readAllBytes();
        }
    }

    /** Defines one class from given bytes, the rest from the test's class path. */
    private static final class Isolated extends ClassLoader {
        private final String name;
        private final byte[] bytes;

        Isolated(String name, byte[] bytes) {
            super(ClassFileUpgradeTest.class.getClassLoader());
            this.name = name;
            this.bytes = bytes;
        }

        @Override
        protected Class<?> loadClass(String className, boolean resolve) throws ClassNotFoundException {
            if (!className.equals(name)) return super.loadClass(className, resolve);
            synchronized (getClassLoadingLock(className)) {
                Class<?> c = findLoadedClass(className);
                return c != null ? c : defineClass(className, bytes, 0, bytes.length);
            }
        }
    }
}
