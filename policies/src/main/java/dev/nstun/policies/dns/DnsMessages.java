package dev.nstun.policies.dns;

/** The two things a {@link DnsClient} reads in a DNS message: its length and its id (RFC 1035 §4.1.1). */
final class DnsMessages {
    /** The fixed header every DNS message starts with. */
    static final int HEADER_BYTES = 12;
    /** The largest message TCP framing can carry (its length travels in two bytes). */
    static final int MAX_BYTES = 65535;

    private DnsMessages() {
    }

    /** Throws unless {@code query} is long enough to be a DNS message and short enough for TCP. */
    static void checkQuery(byte[] query) {
        if (query.length < HEADER_BYTES || query.length > MAX_BYTES) {
            throw new IllegalArgumentException("a DNS query has " + HEADER_BYTES + " to " + MAX_BYTES + " bytes, not " + query.length);
        }
    }

    /** Returns the id in the first two bytes of {@code message} (at least 2 bytes long). */
    static int id(byte[] message) {
        return (message[0] & 0xff) << 8 | message[1] & 0xff;
    }

    /** Sets the id of {@code message} in place. */
    static void setId(byte[] message, int id) {
        message[0] = (byte) (id >>> 8);
        message[1] = (byte) id;
    }

    /** Returns a copy of {@code message} with another id. */
    static byte[] withId(byte[] message, int id) {
        byte[] copy = message.clone();
        setId(copy, id);
        return copy;
    }
}
