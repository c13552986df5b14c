package dev.nstun.policies.dns;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.Arrays;

/**
 * DNS over UDP straight to the upstream (a direct outbound). Each query gets a socket of its own,
 * connected to the upstream: a fresh source port per query makes forged answers hard to slip in
 * (RFC 5452), and only the upstream's datagrams reach the socket. Without an answer after
 * {@link #resend}, the query is sent once more; the answer must carry the query's id.
 */
final class UdpDnsClient implements DnsClient {
    private final Opener<DatagramChannel> opener;
    private final String upstream;
    private final Duration timeout;
    private final Duration resend;

    /**
     * @param opener   opens a socket connected to the upstream, as the outbound wants it (source address, interface)
     * @param upstream names the upstream and outbound in messages
     * @param timeout  how long a query may take, the second sending included
     */
    UdpDnsClient(Opener<DatagramChannel> opener, String upstream, Duration timeout) {
        this.opener = opener;
        this.upstream = upstream;
        this.timeout = timeout;
        this.resend = resendAfter(timeout);
    }

    /** Returns when to send a query again: after 1 s, or half the timeout when that is shorter. */
    static Duration resendAfter(Duration timeout) {
        // In nanoseconds: Duration.dividedBy goes through BigDecimal, whose classes cost a cold start milliseconds.
        Duration half = Duration.ofNanos(timeout.toNanos() / 2);
        return half.compareTo(Duration.ofSeconds(1)) < 0 ? half : Duration.ofSeconds(1);
    }

    @Override
    public byte[] exchange(byte[] query) throws IOException {
        DnsMessages.checkQuery(query);
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        int id = DnsMessages.id(query);
        try (DatagramChannel channel = opener.open()) {
            // The socket adaptor's receive honours SO_TIMEOUT; the channel's own does not.
            DatagramSocket socket = channel.socket();
            byte[] buffer = new byte[DnsMessages.MAX_BYTES];
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            channel.write(ByteBuffer.wrap(query));
            boolean resent = false;
            while (true) {
                long now = System.nanoTime();
                long until = resent ? deadline : Math.min(deadline, start + resend.toNanos());
                if (until - now <= 0) {
                    if (resent || deadline - now <= 0) {
                        throw new SocketTimeoutException("DNS upstream " + upstream + " did not answer within " + Waiting.format(timeout));
                    }
                    channel.write(ByteBuffer.wrap(query));
                    resent = true;
                    continue;
                }
                socket.setSoTimeout((int) Math.max(1, (until - now) / 1_000_000));
                try {
                    socket.receive(packet);
                } catch (SocketTimeoutException e) {
                    continue;
                }
                // Anything else (an answer too short for an id, or to another id) is not our answer.
                if (packet.getLength() >= DnsMessages.HEADER_BYTES && DnsMessages.id(buffer) == id) {
                    return Arrays.copyOf(buffer, packet.getLength());
                }
            }
        } catch (PortUnreachableException e) {
            throw new IOException("DNS upstream " + upstream + " refused the query (ICMP port unreachable): is a DNS server"
                    + " listening there?", e);
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("DNS upstream " + upstream + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        // Nothing is kept open between queries.
    }

    @Override
    public String toString() {
        return "DNS over UDP to " + upstream;
    }
}
