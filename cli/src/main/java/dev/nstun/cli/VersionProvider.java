package dev.nstun.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** Reads the version Maven wrote into the jar. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
            if (in != null) p.load(in);
        }
        return new String[] {"nstun " + p.getProperty("version", "unknown"),
                // The property, not Runtime.version(): the same text, without the stream that joins it.
                "Java " + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vendor") + ")"};
    }
}
