package dev.nstun.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The name-service switch a command in nstun's namespace reads, decided in one place for
 * {@code run}, {@code exec} ({@link CommandMounts} mounts it) and {@code up} ({@code /etc/netns/NAME/} for
 * {@code ip netns exec}): the host's {@code /etc/nsswitch.conf} with its hosts line made
 * {@code files dns}. {@code hosts: resolve} would ask systemd-resolved over a unix socket, outside
 * the namespace: a DNS leak around nstun.
 */
public final class ResolverFiles {
    private static final Path HOST_NSSWITCH = Path.of("/etc/nsswitch.conf");
    private static final Pattern HOSTS_LINE = Pattern.compile("^[ \\t]*hosts[ \\t]*:.*$");
    static final String HOSTS = "hosts: files dns";

    private ResolverFiles() {}

    /** Returns the command's nsswitch.conf, or empty when the host has none (nothing to mount over). */
    public static Optional<String> nsswitchConf() {
        if (!Files.isRegularFile(HOST_NSSWITCH)) return Optional.empty();
        try {
            return Optional.of(nsswitchConf(Files.readString(HOST_NSSWITCH)));
        } catch (IOException e) {
            return Optional.of(HOSTS + "\n");
        }
    }

    /** Returns {@code host} with every hosts line made {@link #HOSTS}, and one added when it has none. */
    static String nsswitchConf(String host) {
        List<String> lines = new ArrayList<>();
        boolean hosts = false;
        for (String line : host.split("\n", -1)) {
            if (HOSTS_LINE.matcher(line).matches()) {
                lines.add(HOSTS);
                hosts = true;
            } else {
                lines.add(line);
            }
        }
        String text = String.join("\n", lines);
        if (!text.isEmpty() && !text.endsWith("\n")) text += "\n";
        return hosts ? text : text + HOSTS + "\n";
    }
}
