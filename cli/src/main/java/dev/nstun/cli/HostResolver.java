package dev.nstun.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host's own resolver, the default upstream for the command's DNS queries. */
final class HostResolver {
    private HostResolver() {}

    /** Returns the first nameserver of the host's resolv.conf (port 53), or null when there is none. */
    static InetSocketAddress fromResolvConf(Path resolvConf) {
        try {
            for (String line : Files.readAllLines(resolvConf)) {
                String[] words = line.trim().split("\\s+");
                if (words.length >= 2 && words[0].equals("nameserver")) {
                    String host = words[1].replaceFirst("%.*$", ""); // a zone id is meaningless in another namespace's view
                    if (!host.matches("[0-9A-Fa-f:.]+")) continue; // only literals: never look a name up here
                    return new InetSocketAddress(InetAddress.getByName(host), 53);
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
        return null;
    }
}
