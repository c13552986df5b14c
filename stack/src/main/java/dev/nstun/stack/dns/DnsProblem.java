package dev.nstun.stack.dns;

/**
 * Why {@link DnsMessage#wrapChecked} did not accept a message ({@code null} means it did). The
 * {@code wire} package's {@code DropReason} plays this part for packets; DNS gets its own because
 * most of these still deserve an answer (FORMERR), not a silent drop.
 */
public enum DnsProblem {
    /** Fewer than the 12 bytes of a header: there is not even an ID to answer. */
    HEADER_TRUNCATED,
    /** More than one question (RFC 9619: a message carries at most one). */
    MULTIPLE_QUESTIONS,
    /** A label over 63 bytes, a name over 255, a reserved label type, or a compression pointer that does not point strictly backwards. */
    BAD_NAME,
    /** The question or a record runs past the end of the message. */
    TRUNCATED,
    /** An OPT record outside the additional section, a second one, or one not owned by the root (RFC 6891 §6.1.1). */
    BAD_OPT
}
