package dev.nstun.policies.config;

/**
 * A place in a policy file (1-based line and column), or nowhere for what the file did not write
 * (built-in outbounds, the implicit final rule): then line and column are 0.
 */
public record Location(String file, int line, int column) {

    /** Returns the location of something the file does not contain. */
    public static Location nowhere(String file) {
        return new Location(file, 0, 0);
    }

    /** Returns whether this location points into the file. */
    public boolean inFile() {
        return line > 0;
    }

    /** Returns {@code file:line}, the form explanations quote. */
    public String fileAndLine() {
        return inFile() ? file + ":" + line : file;
    }

    @Override
    public String toString() {
        return inFile() ? file + ":" + line + ":" + column : file;
    }
}
