package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run's control socket: owner-only, one line in and one document out per connection, gone when closed. */
class ControlServerTest {
    @Test
    void answersEachRequestLineOnItsOwnConnectionAndGoesWhenClosed(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("run.d").resolve("control");
        try (ControlServer server = ControlServer.start(socket, request -> request.equals("status") ? "{\"ok\":1}" : StatusDocument.unknownRequest(request))) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)), "the socket's mode");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())), "its directory's");
            assertEquals("{\"ok\":1}", ControlClient.request(socket, "status"));
            assertEquals("{\"ok\":1}", ControlClient.request(socket, "status"), "a second connection");
            assertEquals("{\"error\":\"unknown request 'top' (known: status)\"}", ControlClient.request(socket, "top"));
        }
        assertFalse(Files.exists(socket), "the socket is removed");
    }
}
