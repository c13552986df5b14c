package dev.nstun.cli;

import dev.nstun.netns.NativeException;
import dev.nstun.netns.TunDevice;
import dev.nstun.stack.device.Device;
import dev.nstun.stack.wire.Checksum;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real TUN device seen as the stack's {@link Device}: the seam between netns and stack. With
 * offload on, it turns the virtio-net header's checksum fields into the stack's terms: a TCP segment
 * or UDP datagram whose checksum the kernel left unfinished is passed on as such, any other
 * unfinished checksum is completed here, and every TCP segment and UDP datagram sent goes with
 * NEEDS_CSUM; a TCP segment larger than the MTU goes with the segment size for the kernel to cut it
 * at (TSO).
 */
final class TunLink implements Device {
    private static final Logger log = LoggerFactory.getLogger(TunLink.class);
    private static final int TCP = 6;
    private static final int UDP = 17;
    /** Where the checksum field lies in a TCP header, and in a UDP header. */
    private static final int TCP_CHECKSUM_OFFSET = 16;
    private static final int UDP_CHECKSUM_OFFSET = 6;
    private static final int TCP_HEADER_LENGTH = 20;
    private static final int UDP_HEADER_LENGTH = 8;
    private static final int IPV6_HEADER_LENGTH = 40;

    private final TunDevice tun;
    private boolean offload;
    private boolean partial;

    TunLink(TunDevice tun) {
        this.tun = tun;
    }

    @Override
    public boolean enableOffload() {
        try {
            tun.offload(TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO6);
        } catch (NativeException e) {
            log.debug("no offload on {}: {}", tun.name(), e.getMessage());
            return false;
        }
        offload = true;
        return true;
    }

    @Override
    public int receive(ByteBuffer dst) throws IOException {
        int start = dst.position();
        int n = tun.read(dst);
        partial = false;
        if (n > 0 && offload) {
            int checksumStart = tun.receivedChecksumStart();
            if (checksumStart >= 0) {
                int transport = transportHeaderOffset(dst, start, n);
                if (checksumStart == transport && tun.receivedChecksumOffset() == checksumOffset(dst, start)) {
                    partial = true;
                } else {
                    complete(dst, start, n, checksumStart, tun.receivedChecksumOffset());
                }
            }
        }
        return n;
    }

    @Override
    public boolean receivedPartialChecksum() {
        return partial;
    }

    @Override
    public void transmit(ByteBuffer packet) throws IOException {
        int at = offload ? transportHeaderOffset(packet, packet.position(), packet.remaining()) : -1;
        tun.write(packet, at, at < 0 ? 0 : checksumOffset(packet, packet.position()));
    }

    @Override
    public void transmitTcp(ByteBuffer headers, ByteBuffer payload, ByteBuffer more, int segmentSize) throws IOException {
        tun.writeTcp(headers, payload, more, transportHeaderOffset(headers, headers.position(), headers.remaining()), segmentSize);
    }

    @Override
    public boolean awaitReceivable(int timeoutMillis) throws IOException {
        return tun.awaitReadable(timeoutMillis);
    }

    @Override
    public Optional<SelectableChannel> readiness() throws IOException {
        return Optional.of(tun.readiness());
    }

    @Override
    public void wakeUp() {
        tun.wakeUp();
    }

    @Override
    public void close() {
        tun.close();
    }

    /**
     * Returns where the TCP or UDP header of the packet at {@code off} starts, or -1 if the packet
     * carries neither over plain IP (an IPv4 fragment, an IPv6 extension header) or is too short to
     * hold that header.
     */
    static int transportHeaderOffset(ByteBuffer buf, int off, int len) {
        if (len < 1) return -1;
        int version = (buf.get(off) & 0xff) >>> 4;
        int headerLength;
        int protocol;
        if (version == 4 && len >= 20) {
            boolean fragment = (buf.get(off + 6) & 0x3f) != 0 || buf.get(off + 7) != 0; // MF or an offset
            if (fragment) return -1;
            headerLength = (buf.get(off) & 0x0f) * 4;
            protocol = buf.get(off + 9);
        } else if (version == 6 && len >= IPV6_HEADER_LENGTH) {
            headerLength = IPV6_HEADER_LENGTH;
            protocol = buf.get(off + 6);
        } else {
            return -1;
        }
        int transportLength = protocol == TCP ? TCP_HEADER_LENGTH : protocol == UDP ? UDP_HEADER_LENGTH : -1;
        return transportLength > 0 && headerLength + transportLength <= len ? headerLength : -1;
    }

    /** Returns where the checksum field lies in the header {@link #transportHeaderOffset} found: TCP's or UDP's. */
    static int checksumOffset(ByteBuffer buf, int off) {
        int protocol = buf.get(off + ((buf.get(off) & 0xf0) == 0x40 ? 9 : 6));
        return protocol == TCP ? TCP_CHECKSUM_OFFSET : UDP_CHECKSUM_OFFSET;
    }

    /** Finishes a checksum the kernel left to us: the sum from {@code start} on, with the pseudo-header sum already in place. */
    static void complete(ByteBuffer buf, int off, int len, int start, int offset) {
        if (start + offset + 2 > len) return;
        int checksum = Checksum.finish(Checksum.sum(buf, off + start, len - start));
        if (checksum == 0) checksum = 0xffff;
        buf.put(off + start + offset, (byte) (checksum >>> 8)).put(off + start + offset + 1, (byte) checksum);
    }
}
