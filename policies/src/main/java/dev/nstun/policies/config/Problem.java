package dev.nstun.policies.config;

/**
 * One thing wrong with a policy file, at a place in it.
 *
 * @param file    the file as the user named it
 * @param line    1-based line, or 0 when the problem concerns the whole file
 * @param column  1-based column (in characters), or 0 with line 0
 * @param message what is wrong and what was expected, without the location
 */
public record Problem(String file, int line, int column, String message) {

    /** Returns a problem at a location. */
    public static Problem at(Location location, String message) {
        return new Problem(location.file(), location.line(), location.column(), message);
    }

    /** Returns the problem as the compilers print theirs: {@code file:line:column: message}. */
    @Override
    public String toString() {
        return line > 0 ? file + ":" + line + ":" + column + ": " + message : file + ": " + message;
    }
}
