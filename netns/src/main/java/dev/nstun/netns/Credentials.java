package dev.nstun.netns;

/**
 * Who the wrapped command runs as. {@code userName} is null for a uid with no passwd entry (then
 * supplementary groups are cleared rather than initialised from /etc/group).
 */
public record Credentials(int uid, int gid, String userName, String home) {
    /** Root, kept as is: nstun run as plain root without sudo. */
    public static final Credentials UNCHANGED = new Credentials(-1, -1, null, null);

    /** Returns whether the command keeps nstun's own identity. */
    public boolean unchanged() {
        return uid < 0;
    }
}
