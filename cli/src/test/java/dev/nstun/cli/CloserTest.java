package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CloserTest {
    @Test
    void closesLastAddedFirstEachOnceWhateverAStepThrows() {
        List<String> closed = new ArrayList<>();
        Closer closer = new Closer();
        closer.onClose("first", () -> closed.add("first"));
        closer.closing("second", () -> {
            closed.add("second");
            throw new IllegalStateException("broken");
        });
        closer.onClose("third", () -> closed.add("third"));
        closer.close();
        closer.close();
        assertEquals(List.of("third", "second", "first"), closed);
    }

    @Test
    void anInterruptedStepLeavesTheThreadInterruptedAfterTheOthersRan() {
        List<String> closed = new ArrayList<>();
        Closer closer = new Closer();
        closer.onClose("first", () -> closed.add("first"));
        closer.onClose("joins", () -> {
            throw new InterruptedException();
        });
        closer.close();
        assertEquals(List.of("first"), closed);
        assertTrue(Thread.interrupted(), "interrupt restored (and cleared here)");
    }
}
