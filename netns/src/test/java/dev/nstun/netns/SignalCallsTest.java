package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Both bindings of {@link SignalCalls} against each other and against /proc, and which one a JDK gets. */
class SignalCallsTest {
    @Test
    void aJdk22OrNewerGetsTheFfmBindingWhenTheBuildHasIt() {
        boolean built = getClass().getClassLoader().getResource(SignalCalls.Holder.FFM_CLASS.replace('.', '/') + ".class") != null;
        String want = Runtime.version().feature() >= 22 && built ? SignalCalls.Holder.FFM_CLASS : SignalCalls.Jnr.class.getName();
        assertEquals(want, SignalCalls.get().getClass().getName(), "binding on JDK " + Runtime.version().feature());
    }

    @Test
    void processGroupIsTheOneProcSays() throws Exception {
        // /proc/self/stat: pid (comm) state ppid pgrp ...; comm may hold spaces, so count from its ')'.
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
        int want = Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[2]);
        assertEquals(want, SignalCalls.get().getpgrp(), "getpgrp, " + SignalCalls.get().getClass().getSimpleName());
        assertEquals(want, new SignalCalls.Jnr().getpgrp(), "getpgrp, jnr-ffi");
    }

    @Test
    void bothBindingsAgreeOnTheTerminalsForegroundGroup() {
        assertEquals(new SignalCalls.Jnr().tcgetpgrp(0), SignalCalls.get().tcgetpgrp(0), "tcgetpgrp(0)");
    }
}
