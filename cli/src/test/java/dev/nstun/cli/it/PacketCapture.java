package dev.nstun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * tcpdump on the host (the init namespace), writing a pcap file. {@link #start} returns once
 * tcpdump says it is listening; {@link #stop()} ends it (by pid) and leaves the file to be read
 * back with another filter ({@link #count}) or searched for bytes ({@link #contains}).
 */
final class PacketCapture implements AutoCloseable {
    private final Process tcpdump;
    private final Path file;
    private final Path messages;

    private PacketCapture(Process tcpdump, Path file, Path messages) {
        this.tcpdump = tcpdump;
        this.file = file;
        this.messages = messages;
    }

    /** Starts capturing on {@code iface} ("any" for every interface) what {@code filter} matches, into {@code file}. */
    static PacketCapture start(String iface, String filter, Path file) throws Exception {
        Requirements.requireCommand("tcpdump");
        Path messages = Files.createTempFile(file.getParent(), "tcpdump-", ".txt");
        // -Z root: tcpdump would otherwise drop to its own user, which may not write here.
        Process p = new ProcessBuilder("tcpdump", "-i", iface, "-n", "-U", "--immediate-mode", "-Z", "root", "-w", file.toString(), filter)
                .redirectErrorStream(true).redirectOutput(messages.toFile()).start();
        p.getOutputStream().close();
        PacketCapture capture = new PacketCapture(p, file, messages);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.readString(messages).contains("listening on")) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                capture.close();
                throw new AssertionError("tcpdump -i " + iface + " did not start: " + Files.readString(messages));
            }
            Thread.sleep(20);
        }
        return capture;
    }

    /** Ends tcpdump, which flushes the file; safe to call twice. */
    void stop() throws Exception {
        if (tcpdump.isAlive()) {
            tcpdump.destroy(); // SIGTERM: tcpdump closes the file cleanly
            if (!tcpdump.waitFor(10, TimeUnit.SECONDS)) {
                tcpdump.destroyForcibly();
                tcpdump.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Returns the packets of the stopped capture that {@code filter} matches, one tcpdump line each. */
    String packets(String filter) throws Exception {
        stop();
        Requirements.ProcessResult r = Requirements.run(file.getParent(), "tcpdump", "-r", file.toString(), "-n", "-q", filter);
        assertEquals(0, r.exitCode(), "tcpdump -r " + file + ": " + r.output());
        StringBuilder lines = new StringBuilder();
        for (String line : r.output().split("\n")) {
            // tcpdump's own notes ("reading from file …", "Warning: interface names might be incorrect") are no packets.
            if (!line.isBlank() && !line.startsWith("reading from file") && !line.startsWith("Warning:")) lines.append(line).append('\n');
        }
        return lines.toString();
    }

    /** Returns how many packets of the stopped capture {@code filter} matches. */
    int count(String filter) throws Exception {
        return (int) packets(filter).lines().count();
    }

    /**
     * Returns whether any captured byte sequence equals {@code text} (ASCII), e.g. a DNS label. The
     * file is read a block at a time, each block starting with the previous one's last bytes: a
     * capture of every interface also holds whatever else the host carried meanwhile, gigabytes when
     * a benchmark runs beside the tests.
     */
    boolean contains(String text) throws Exception {
        stop();
        byte[] needle = text.getBytes(StandardCharsets.US_ASCII);
        byte[] block = new byte[(1 << 20) + needle.length];
        int kept = 0;
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(block, kept, block.length - kept)) > 0; ) {
                int end = kept + n;
                for (int i = 0; i + needle.length <= end; i++) {
                    if (Arrays.equals(block, i, i + needle.length, needle, 0, needle.length)) return true;
                }
                kept = Math.min(needle.length - 1, end);
                System.arraycopy(block, end - kept, block, 0, kept);
            }
        }
        return false;
    }

    @Override
    public void close() throws Exception {
        stop();
        Files.deleteIfExists(messages);
        Files.deleteIfExists(file);
    }
}
