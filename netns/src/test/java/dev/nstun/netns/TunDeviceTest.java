package dev.nstun.netns;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@link TunDevice#close}: as root, in a network namespace of the test thread's own (which ends with
 * the thread, and every device in it), a device's close deletes it unless it was
 * {@linkplain TunDevice#leaveToNamespace left to its namespace}.
 */
class TunDeviceTest {
    private static final LibC C = LibC.INSTANCE;
    private static final long DELETE_WAIT_MILLIS = 5000;

    @Test
    void aCloseDeletesTheDeviceUnlessItWasLeftToItsNamespace() throws Exception {
        assumeTrue(Privileges.isHostRoot(), "needs root (CAP_NET_ADMIN to make a namespace and a TUN)");
        CompletableFuture<int[]> seen = new CompletableFuture<>();
        Thread.ofPlatform().name("test-tun").start(() -> {
            try {
                NetworkNamespace.unshareNew();
                TunDevice left = TunDevice.create("nstun-left");
                TunDevice deleted = TunDevice.create("nstun-deleted");
                left.leaveToNamespace();
                left.close();
                deleted.close(); // the kernel's part on a thread of its own
                long deadline = System.nanoTime() + DELETE_WAIT_MILLIS * 1_000_000;
                while (C.if_nametoindex("nstun-deleted") > 0 && System.nanoTime() < deadline) Thread.sleep(5);
                seen.complete(new int[] {left.index(), C.if_nametoindex("nstun-left"), C.if_nametoindex("nstun-deleted")});
            } catch (Throwable t) {
                seen.completeExceptionally(t);
            }
        }).join();
        int[] got = seen.get();
        assertAll(
                () -> assertTrue(got[0] > 0, "the device had an index"),
                () -> assertEquals(got[0], got[1], "the device left to its namespace is still there after its close"),
                () -> assertEquals(0, got[2], "the other device's close deleted it"));
    }
}
