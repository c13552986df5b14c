package dev.nstun.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What nstun needs from the kernel before it starts, checked up front for a clear message. */
public final class Privileges {
    private static final int CAP_NET_ADMIN = 12;
    private static final int CAP_SYS_ADMIN = 21;

    private Privileges() {}

    /**
     * Returns what is missing to create a namespace with a TUN device, as actionable sentences;
     * empty when all is there.
     */
    public static List<String> missing() {
        List<String> problems = new ArrayList<>();
        long caps = effectiveCapabilities();
        List<String> lacking = new ArrayList<>();
        if ((caps & (1L << CAP_SYS_ADMIN)) == 0) lacking.add("CAP_SYS_ADMIN (for namespaces and mounts)");
        if ((caps & (1L << CAP_NET_ADMIN)) == 0) lacking.add("CAP_NET_ADMIN (for the TUN device)");
        if (!lacking.isEmpty()) {
            problems.add("missing " + String.join(" and ", lacking) + ": run nstun with sudo");
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            problems.add("/dev/net/tun does not exist: load the TUN driver with 'sudo modprobe tun'");
        }
        return problems;
    }

    private static long effectiveCapabilities() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) return Long.parseUnsignedLong(line.substring(7).trim(), 16);
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
