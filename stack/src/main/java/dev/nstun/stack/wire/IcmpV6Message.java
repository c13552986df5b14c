package dev.nstun.stack.wire;

import java.nio.ByteBuffer;

/** A re-pointable view of an ICMPv6 message (RFC 4443); its checksum covers the IPv6 pseudo header. */
public final class IcmpV6Message extends IcmpMessage {
    /** Type: destination unreachable. */
    public static final int TYPE_DESTINATION_UNREACHABLE = 1;
    /** Type: packet too big. */
    public static final int TYPE_PACKET_TOO_BIG = 2;
    /** Type: time exceeded. */
    public static final int TYPE_TIME_EXCEEDED = 3;
    /** Type: parameter problem. */
    public static final int TYPE_PARAMETER_PROBLEM = 4;
    /** Type: echo request. */
    public static final int TYPE_ECHO_REQUEST = 128;
    /** Type: echo reply. */
    public static final int TYPE_ECHO_REPLY = 129;
    /** Destination unreachable code: no route to destination. */
    public static final int CODE_NO_ROUTE = 0;
    /** Destination unreachable code: communication administratively prohibited. */
    public static final int CODE_ADMIN_PROHIBITED = 1;
    /** Destination unreachable code: address unreachable. */
    public static final int CODE_ADDRESS_UNREACHABLE = 3;
    /** Destination unreachable code: port unreachable. */
    public static final int CODE_PORT_UNREACHABLE = 4;
    /** Time exceeded code: hop limit exceeded in transit. */
    public static final int CODE_HOP_LIMIT_EXCEEDED = 0;
    /** Time exceeded code: fragment reassembly time exceeded. */
    public static final int CODE_REASSEMBLY_TIME_EXCEEDED = 1;
    /** Offset of a packet-too-big message's MTU. */
    public static final int MTU = 4;
    /** Offset of a parameter problem's pointer. */
    public static final int POINTER = 4;

    /** Returns a view that points at {@code [off, off + len)} of {@code buf} without checking it. */
    public static IcmpV6Message unchecked(ByteBuffer buf, int off, int len) {
        return new IcmpV6Message().wrap(buf, off, len);
    }

    /** Points this view at {@code [off, off + len)} of {@code buf} without checking it; returns this view. */
    public IcmpV6Message wrap(ByteBuffer buf, int off, int len) {
        point(buf, off, len);
        return this;
    }

    /** Returns whether the type is an error message: types below 128 (RFC 4443 §2.1). */
    @Override
    public boolean isError() {
        return type() < 128;
    }

    @Override
    public boolean isEchoRequest() {
        return type() == TYPE_ECHO_REQUEST;
    }

    @Override
    public boolean isEchoReply() {
        return type() == TYPE_ECHO_REPLY;
    }

    /** Returns a packet-too-big message's MTU field. */
    public long mtu() {
        return Integer.toUnsignedLong(Bytes.i32(buffer(), offset() + MTU));
    }

    /** Returns a parameter problem's pointer field (an offset into the quoted packet). */
    public long pointer() {
        return Integer.toUnsignedLong(Bytes.i32(buffer(), offset() + POINTER));
    }
}
