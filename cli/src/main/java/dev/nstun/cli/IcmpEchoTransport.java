package dev.nstun.cli;

import dev.nstun.netns.IcmpSocket;
import dev.nstun.netns.NativeException;
import dev.nstun.stack.flow.FlowRefusedException;
import dev.nstun.stack.icmp.EchoTransport;
import dev.nstun.stack.wire.AddressScope;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stack's echo relay over ICMP sockets in the init namespace (the seam between netns and
 * stack for ping). Echo requests to nstun's own address ranges are refused, as {@link DirectDialer}
 * refuses UDP to them: nothing outside answers for those addresses.
 */
final class IcmpEchoTransport implements EchoTransport, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IcmpEchoTransport.class);

    private final IcmpSocket socket;
    private final String unavailable;
    /** Whether the command was told (through the log) why its pings are refused; the stack's loop alone reads it. */
    private boolean toldWhyNot;

    private IcmpEchoTransport(IcmpSocket socket, String unavailable) {
        this.socket = socket;
        this.unavailable = unavailable;
    }

    /**
     * Opens the ICMP sockets in the calling thread's namespace (call it from a thread in the init
     * namespace, before the command starts). Never fails: without sockets, echo requests are
     * answered "administratively prohibited", and the first says why in the log.
     */
    static IcmpEchoTransport open() {
        try {
            return new IcmpEchoTransport(IcmpSocket.open(), null); // it logs (debug) which sockets it uses
        } catch (NativeException e) {
            log.debug("no ICMP echo: {}", e.getMessage());
            return new IcmpEchoTransport(null, e.getMessage());
        }
    }

    @Override
    public Channel open(InetAddress destination, Replies replies) throws IOException {
        if (NstunAddresses.contains(destination)) throw new FlowRefusedException(destination.getHostAddress() + " is in nstun's own address range");
        AddressScope scope = AddressScope.of(destination);
        if (!scope.relayable()) throw new FlowRefusedException(destination.getHostAddress() + " (" + scope.description() + ") is never pinged for the command");
        if (socket == null) {
            if (!toldWhyNot) {
                toldWhyNot = true;
                log.warn("ping refused: nstun may not send ICMP echo here ({}); 'nstun doctor' says how to allow it", unavailable);
            }
            throw new FlowRefusedException("no ICMP echo sockets: " + unavailable);
        }
        IcmpSocket.Session session = socket.open(destination, new IcmpSocket.Receiver() {
            @Override
            public void echoReply(int sequence, ByteBuffer payload) {
                replies.reply(sequence, payload);
            }

            @Override
            public void error(InetAddress reporter, int type, int code, int restOfHeader, int sequence) {
                replies.error(reporter, type, code, restOfHeader, sequence);
            }
        });
        return new Channel() {
            @Override
            public boolean send(int sequence, ByteBuffer payload) throws IOException {
                return session.send(sequence, payload);
            }

            @Override
            public void close() {
                session.close();
            }
        };
    }

    @Override
    public void close() {
        if (socket != null) socket.close();
    }
}
