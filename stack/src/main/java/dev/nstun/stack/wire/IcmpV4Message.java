package dev.nstun.stack.wire;

import java.nio.ByteBuffer;

/** A re-pointable view of an ICMP message for IPv4 (RFC 792, RFC 1191 for the next-hop MTU). */
public final class IcmpV4Message extends IcmpMessage {
    /** Type: echo reply. */
    public static final int TYPE_ECHO_REPLY = 0;
    /** Type: destination unreachable. */
    public static final int TYPE_DESTINATION_UNREACHABLE = 3;
    /** Type: echo request. */
    public static final int TYPE_ECHO_REQUEST = 8;
    /** Type: time exceeded. */
    public static final int TYPE_TIME_EXCEEDED = 11;
    /** Type: parameter problem. */
    public static final int TYPE_PARAMETER_PROBLEM = 12;
    /** Destination unreachable code: net unreachable. */
    public static final int CODE_NET_UNREACHABLE = 0;
    /** Destination unreachable code: host unreachable. */
    public static final int CODE_HOST_UNREACHABLE = 1;
    /** Destination unreachable code: protocol unreachable. */
    public static final int CODE_PROTOCOL_UNREACHABLE = 2;
    /** Destination unreachable code: port unreachable. */
    public static final int CODE_PORT_UNREACHABLE = 3;
    /** Destination unreachable code: fragmentation needed and DF set. */
    public static final int CODE_FRAGMENTATION_NEEDED = 4;
    /** Destination unreachable code: communication administratively prohibited (RFC 1812). */
    public static final int CODE_ADMIN_PROHIBITED = 13;
    /** Time exceeded code: TTL exceeded in transit. */
    public static final int CODE_TTL_EXCEEDED = 0;
    /** Time exceeded code: fragment reassembly time exceeded. */
    public static final int CODE_REASSEMBLY_TIME_EXCEEDED = 1;
    /** Offset of a parameter problem's pointer. */
    public static final int POINTER = 4;
    /** Offset of a fragmentation-needed message's next-hop MTU. */
    public static final int NEXT_HOP_MTU = 6;

    /** Returns a view that points at {@code [off, off + len)} of {@code buf} without checking it. */
    public static IcmpV4Message unchecked(ByteBuffer buf, int off, int len) {
        return new IcmpV4Message().wrap(buf, off, len);
    }

    /** Points this view at {@code [off, off + len)} of {@code buf} without checking it; returns this view. */
    public IcmpV4Message wrap(ByteBuffer buf, int off, int len) {
        point(buf, off, len);
        return this;
    }

    @Override
    public boolean isError() {
        int type = type();
        return type == TYPE_DESTINATION_UNREACHABLE || type == TYPE_TIME_EXCEEDED || type == TYPE_PARAMETER_PROBLEM;
    }

    @Override
    public boolean isEchoRequest() {
        return type() == TYPE_ECHO_REQUEST;
    }

    @Override
    public boolean isEchoReply() {
        return type() == TYPE_ECHO_REPLY;
    }

    /** Returns a fragmentation-needed message's next-hop MTU field. */
    public int nextHopMtu() {
        return Bytes.u16(buffer(), offset() + NEXT_HOP_MTU);
    }

    /** Returns a parameter problem's pointer field. */
    public int pointer() {
        return Bytes.u8(buffer(), offset() + POINTER);
    }
}
