package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NotifySocketTest {
    @Test
    void aNoticeSentToTheSocketsPathIsReceivedWhole(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("notify");
        try (NotifySocket socket = NotifySocket.bind(path.toString())) {
            assertEquals(Optional.empty(), socket.receive(0));
            assertTrue(NotifySocket.send(path.toString(), "READY=1\nSTATUS=up\n"));
            assertEquals(Optional.of("READY=1\nSTATUS=up\n"), socket.receive(5000));
        }
        assertFalse(Files.exists(path), "the socket's file goes with it");
    }

    @Test
    void sendingWhereNobodyListensSaysSoWithoutThrowing(@TempDir Path dir) {
        assertFalse(NotifySocket.send(dir.resolve("nobody").toString(), "READY=1"));
        assertFalse(NotifySocket.send("", "READY=1"));
    }

    @Test
    void anAbstractNameWorksTheSame() throws Exception {
        String name = "@nstun-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (NotifySocket socket = NotifySocket.bind(name)) {
            assertTrue(NotifySocket.send(name, "STOPPING=1\n"));
            assertEquals(Optional.of("STOPPING=1\n"), socket.receive(5000));
        }
        assertFalse(NotifySocket.send(name, "READY=1"), "closed: nobody listens");
    }
}
