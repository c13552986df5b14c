package dev.nstun.netns;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ICMP echo from the network namespace of the thread that opens it: {@link Session}s send echo
 * requests to one destination each and get back its echo replies, and the errors they provoke,
 * on a reader thread of this class's own.
 *
 * <p>Two ways to do it, chosen once at {@link #open()}:
 * <ul>
 *   <li>{@link Mode#PING}: unprivileged ICMP sockets ({@code SOCK_DGRAM}, {@code IPPROTO_ICMP} /
 *       {@code IPPROTO_ICMPV6}), allowed to groups in {@code net.ipv4.ping_group_range}. One socket
 *       per session: the kernel picks its identifier and hands it its own replies, checksums done;
 *       the errors its requests provoke come from its error queue ({@link IcmpErrorQueue}).</li>
 *   <li>{@link Mode#RAW}: one raw socket per family (needs {@code CAP_NET_RAW}), which sees every
 *       ICMP message to the host that its filter lets through: each session takes an identifier of
 *       ours, and replies whose identifier or source is not a session's are ignored. Errors that
 *       quote a session's request are passed on.</li>
 * </ul>
 * A family the kernel does not offer (IPv6 disabled) leaves the other usable; opening a session
 * for it fails.
 *
 * <p>Sessions are opened, used and closed from any thread (in practice the stack's loop); in
 * {@link Mode#PING} they must be opened by a thread still in the namespace this was opened in.
 * The reader alone closes session sockets, so it never polls a number the kernel gave to another.
 */
public final class IcmpSocket implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IcmpSocket.class);
    private static final LibC C = LibC.INSTANCE;
    private static final int MAX_MESSAGE = 65535;
    /** Messages read from one socket per wakeup before the others get their turn. */
    private static final int RECEIVE_BUDGET = 64;
    private static final int SOCKADDR_IN = 16;
    private static final int SOCKADDR_IN6 = 28;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int EFD_NONBLOCK = 0x800;
    private static final int EMSGSIZE = 90;
    private static final int ENOBUFS = 105;
    private static final int IDENTIFIERS = 65536;

    /** How echo requests leave. */
    public enum Mode {
        /** Unprivileged ICMP ("ping") sockets, one per session. */
        PING,
        /** One raw ICMP socket per family, identifiers of our choosing. */
        RAW
    }

    /** What comes back for a session; called on the reader thread. */
    public interface Receiver {
        /** An echo reply for {@code sequence}; its data is between {@code payload}'s position and limit, readable only during the call. */
        void echoReply(int sequence, ByteBuffer payload);

        /** An ICMP error from {@code reporter} quoting the request with {@code sequence}, with its type, code and four type-specific bytes. */
        void error(InetAddress reporter, int type, int code, int restOfHeader, int sequence);
    }

    private final Mode mode;
    private final Family v4;
    private final Family v6;
    private final int wakeFd;
    private final ByteBuffer one = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder()).putLong(0, 1);
    /** Shared by the sessions' senders; guarded by itself. */
    private final ByteBuffer sendBuffer = ByteBuffer.allocateDirect(MAX_MESSAGE);
    private final Set<Session> pingSessions = ConcurrentHashMap.newKeySet();
    /** Closed ping sessions whose sockets the reader closes on its next turn. */
    private final ConcurrentLinkedQueue<Session> retired = new ConcurrentLinkedQueue<>();
    private volatile boolean pollSetChanged = true;
    private volatile boolean closed;
    /** Set once {@link #close()} has closed every socket; guarded by {@code this}. */
    private boolean released;
    private final Thread reader;

    // Owned by the reader thread.
    private final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(MAX_MESSAGE);
    private final ByteBuffer sourceAddress = ByteBuffer.allocateDirect(SOCKADDR_IN6);
    private final ByteBuffer sourceLength = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
    private final ByteBuffer drained = ByteBuffer.allocateDirect(8);
    private final IcmpInbound inbound = new IcmpInbound();
    private final IcmpErrorQueue errorQueue = new IcmpErrorQueue();
    private ByteBuffer pollFds = ByteBuffer.allocateDirect(8 * 16).order(ByteOrder.nativeOrder());
    private Object[] polled = new Object[16];
    private int polledCount;

    private IcmpSocket(Mode mode, Family v4, Family v6, int wakeFd) {
        this.mode = mode;
        this.v4 = v4;
        this.v6 = v6;
        this.wakeFd = wakeFd;
        this.reader = Thread.ofPlatform().daemon().name("nstun-icmp").unstarted(this::readLoop);
    }

    /**
     * Opens ICMP echo in the calling thread's network namespace: ping sockets when the kernel allows
     * them to this process, else raw sockets. Throws when neither family can be had either way.
     */
    public static IcmpSocket open() throws NativeException {
        int probe = C.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, LibC.IPPROTO_ICMP);
        Mode mode;
        Family v4;
        Family v6;
        if (probe >= 0) {
            C.close(probe);
            mode = Mode.PING;
            v4 = new Family(false, -1, null, 0);
            v6 = Family.probePing6();
        } else {
            String pingRefused = LibC.lastError();
            mode = Mode.RAW;
            v4 = Family.openRaw(false);
            v6 = Family.openRaw(true);
            if (v4.unavailable != null && v6.unavailable != null) {
                throw new NativeException("open ICMP sockets: ping sockets refused (" + pingRefused
                        + "; see net.ipv4.ping_group_range), raw sockets too (needs CAP_NET_RAW)", v4.errno);
            }
        }
        int wake = C.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wake < 0) {
            NativeException e = NativeException.last("eventfd for the ICMP reader");
            v4.closeRaw();
            v6.closeRaw();
            throw e;
        }
        IcmpSocket socket = new IcmpSocket(mode, v4, v6, wake);
        socket.reader.start();
        log.debug("ICMP echo through {} sockets (IPv4: {}, IPv6: {})", mode == Mode.PING ? "ping" : "raw",
                v4.unavailable == null ? "yes" : v4.unavailable, v6.unavailable == null ? "yes" : v6.unavailable);
        return socket;
    }

    /** Returns how echo requests leave. */
    public Mode mode() {
        return mode;
    }

    /**
     * Opens a session for echo requests to {@code destination}; its replies and errors go to
     * {@code receiver}. Throws when the family is unavailable, the kernel refuses a socket, or (raw)
     * every identifier is taken.
     */
    public Session open(InetAddress destination, Receiver receiver) throws NativeException {
        if (closed) throw new IllegalStateException("the ICMP socket is closed");
        Family f = destination instanceof Inet6Address ? v6 : v4;
        if (f.unavailable != null) throw new NativeException((f.v6 ? "ICMPv6" : "ICMP") + " echo is unavailable", f.errno);
        if (mode == Mode.PING) {
            int fd = C.socket(f.domain(), LibC.SOCK_DGRAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, f.protocol());
            if (fd < 0) throw NativeException.last("open a ping socket");
            if (!IcmpErrorQueue.enable(fd, f.v6)) log.debug("no error queue on the ping socket: {}", LibC.lastError());
            Session s = new Session(f, fd, 0, destination, receiver);
            synchronized (this) {
                if (released) {
                    C.close(fd);
                    throw new IllegalStateException("the ICMP socket is closed");
                }
                pingSessions.add(s);
                pollSetChanged = true;
                wake();
            }
            return s;
        }
        for (int tries = 0; tries < IDENTIFIERS; tries++) {
            int id = f.nextIdentifier();
            if (f.byIdentifier.get(id) != null) continue;
            Session s = new Session(f, f.rawFd, id, destination, receiver);
            if (f.byIdentifier.compareAndSet(id, null, s)) return s;
        }
        throw new NativeException("every ICMP identifier is in use", LibC.EAGAIN);
    }

    /** Stops the reader and closes every socket; sessions still open stop receiving. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        wake();
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            v4.closeRaw();
            v6.closeRaw();
            for (Session s : pingSessions) C.close(s.fd);
            pingSessions.clear();
            for (Session s; (s = retired.poll()) != null; ) C.close(s.fd);
            C.close(wakeFd);
            released = true;
        }
    }

    /** Wakes the reader; callers other than {@link #close()} hold {@code this} and check {@link #released}, so the fd is ours. */
    private void wake() {
        C.write(wakeFd, one, 8);
    }

    private void readLoop() {
        try {
            while (!closed) {
                if (pollSetChanged) rebuildPollSet();
                int r = C.poll(pollFds, polledCount, -1);
                if (r < 0) {
                    if (LibC.errno() == LibC.EINTR) continue;
                    log.error("ICMP echo stopped: poll: {}", LibC.lastError());
                    return;
                }
                for (int i = 0; i < polledCount && !closed; i++) {
                    short revents = pollFds.getShort(i * 8 + 6);
                    if (revents == 0) continue;
                    switch (polled[i]) {
                        case Family f -> drainRaw(f);
                        case Session s -> drainPing(s, (revents & LibC.POLLERR) != 0);
                        default -> C.read(wakeFd, drained.clear(), 8);
                    }
                }
            }
        } catch (RuntimeException e) {
            log.error("ICMP echo stopped: {}", e.toString(), e);
        }
    }

    /** Closes retired sessions' sockets and lists what to poll: the wakeup, the raw sockets, the ping sessions. */
    private void rebuildPollSet() {
        pollSetChanged = false;
        for (Session s; (s = retired.poll()) != null; ) C.close(s.fd);
        List<Session> sessions = List.copyOf(pingSessions);
        int n = 3 + sessions.size();
        if (polled.length < n) {
            int capacity = Math.max(n, polled.length * 2);
            polled = new Object[capacity];
            pollFds = ByteBuffer.allocateDirect(8 * capacity).order(ByteOrder.nativeOrder());
        }
        polledCount = 0;
        addPolled(wakeFd, Boolean.TRUE);
        if (v4.rawFd >= 0) addPolled(v4.rawFd, v4);
        if (v6.rawFd >= 0) addPolled(v6.rawFd, v6);
        for (Session s : sessions) addPolled(s.fd, s);
    }

    private void addPolled(int fd, Object what) {
        int at = polledCount * 8;
        pollFds.putInt(at, fd).putShort(at + 4, LibC.POLLIN).putShort(at + 6, (short) 0);
        polled[polledCount++] = what;
    }

    /** Reads what a raw socket holds: replies and errors of our sessions, and others' (ignored). */
    private void drainRaw(Family f) {
        for (int i = 0; i < RECEIVE_BUDGET; i++) {
            int n = receive(f.rawFd);
            if (n < 0) return;
            IcmpInbound.Kind kind = f.v6 ? inbound.parseMessage6(receiveBuffer, 0, n) : inbound.parseRaw4(receiveBuffer, 0, n);
            if (kind == IcmpInbound.Kind.OTHER) continue;
            Session s = f.byIdentifier.get(inbound.identifier);
            if (s == null || s.closed) continue;
            if (kind == IcmpInbound.Kind.ECHO_REPLY) {
                boolean ours = f.v6 ? s.isSource6(sourceAddress) : s.destination4 == inbound.source4;
                if (ours) deliverReply(s);
            } else if (s.destinationHigh == inbound.quotedDestinationHigh && s.destinationLow == inbound.quotedDestinationLow) {
                InetAddress reporter = f.v6 ? address6(sourceAddress) : address4(inbound.source4);
                deliverError(s, reporter, inbound.type, inbound.code, inbound.restOfHeader, inbound.sequence);
            }
        }
    }

    /** Reads a ping session's socket (only its own replies arrive there), and its error queue when poll says so. */
    private void drainPing(Session s, boolean errorsQueued) {
        for (int i = 0; errorsQueued && i < RECEIVE_BUDGET; i++) {
            int r = errorQueue.receive(s.fd, s.family.v6);
            if (r < 0) break;
            if (r > 0 && !s.closed) {
                deliverError(s, errorQueue.reporter, errorQueue.type, errorQueue.code, errorQueue.restOfHeader, errorQueue.sequence);
            }
        }
        for (int i = 0; i < RECEIVE_BUDGET; i++) {
            int n = receive(s.fd);
            if (n < 0) return;
            IcmpInbound.Kind kind = s.family.v6 ? inbound.parseMessage6(receiveBuffer, 0, n) : inbound.parseMessage4(receiveBuffer, 0, n);
            if (kind != IcmpInbound.Kind.ECHO_REPLY || s.closed) continue;
            boolean fromDestination = s.family.v6 ? s.isSource6(sourceAddress) : s.destination4 == sourceAddress.getInt(4);
            if (fromDestination) deliverReply(s);
        }
    }

    /** Receives one message into {@link #receiveBuffer}; returns its length, or -1 when none is left. */
    private int receive(int fd) {
        while (true) {
            sourceLength.putInt(0, SOCKADDR_IN6);
            long n = C.recvfrom(fd, receiveBuffer.clear(), MAX_MESSAGE, LibC.MSG_DONTWAIT, sourceAddress, sourceLength);
            if (n >= 0) return (int) n;
            int errno = LibC.errno();
            if (errno == LibC.EAGAIN) return -1;
            if (errno == LibC.EINTR) continue;
            // A pending socket error (an ICMP error the kernel reported on the socket): reading cleared
            // it, and poll says so again if data is waiting behind it.
            log.debug("ICMP receive: {}", C.strerror(errno));
            return -1;
        }
    }

    private void deliverReply(Session s) {
        receiveBuffer.limit(inbound.payloadOffset + inbound.payloadLength).position(inbound.payloadOffset);
        try {
            s.receiver.echoReply(inbound.sequence, receiveBuffer);
        } catch (RuntimeException e) {
            log.warn("ICMP echo reply handler failed: {}", e.toString(), e);
        }
    }

    private void deliverError(Session s, InetAddress reporter, int type, int code, int restOfHeader, int sequence) {
        try {
            s.receiver.error(reporter, type, code, restOfHeader, sequence);
        } catch (RuntimeException e) {
            log.warn("ICMP error handler failed: {}", e.toString(), e);
        }
    }

    private static InetAddress address4(int address) {
        byte[] b = {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Reads the address of a sockaddr_in6. */
    private static InetAddress address6(ByteBuffer sockaddr) {
        byte[] b = new byte[16];
        sockaddr.get(8, b);
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** One family's state: its raw socket and identifier table (raw mode), or why it is unavailable. */
    private static final class Family {
        final boolean v6;
        final int rawFd;
        final String unavailable;
        final int errno;
        final AtomicReferenceArray<Session> byIdentifier;
        private int next = ThreadLocalRandom.current().nextInt(IDENTIFIERS);

        Family(boolean v6, int rawFd, String unavailable, int errno) {
            this.v6 = v6;
            this.rawFd = rawFd;
            this.unavailable = unavailable;
            this.errno = errno;
            this.byIdentifier = rawFd >= 0 ? new AtomicReferenceArray<>(IDENTIFIERS) : null;
        }

        int domain() {
            return v6 ? LibC.AF_INET6 : LibC.AF_INET;
        }

        int protocol() {
            return v6 ? LibC.IPPROTO_ICMPV6 : LibC.IPPROTO_ICMP;
        }

        synchronized int nextIdentifier() {
            next = (next + 1) & (IDENTIFIERS - 1);
            return next;
        }

        static Family probePing6() {
            int fd = C.socket(LibC.AF_INET6, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, LibC.IPPROTO_ICMPV6);
            if (fd < 0) {
                int errno = LibC.errno();
                return new Family(true, -1, "ping socket: " + C.strerror(errno), errno);
            }
            C.close(fd);
            return new Family(true, -1, null, 0);
        }

        static Family openRaw(boolean v6) {
            int domain = v6 ? LibC.AF_INET6 : LibC.AF_INET;
            int protocol = v6 ? LibC.IPPROTO_ICMPV6 : LibC.IPPROTO_ICMP;
            int fd = C.socket(domain, LibC.SOCK_RAW | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, protocol);
            if (fd < 0) {
                int errno = LibC.errno();
                return new Family(v6, -1, "raw socket: " + C.strerror(errno), errno);
            }
            // Only replies and the errors they may quote: the socket would otherwise see every ICMP
            // message to the host (neighbour discovery, others' requests, our own requests over loopback).
            int r = v6 ? C.setsockopt(fd, LibC.IPPROTO_ICMPV6, LibC.ICMP6_FILTER, icmp6Filter(), 32)
                    : C.setsockopt(fd, LibC.SOL_RAW, LibC.ICMP_FILTER, icmpFilter(), 4);
            if (r < 0) log.debug("ICMP filter on the raw socket: {}", LibC.lastError());
            return new Family(v6, fd, null, 0);
        }

        /** ICMP_FILTER: a set bit drops that type (linux/icmp.h). */
        private static ByteBuffer icmpFilter() {
            int pass = 1 << IcmpInbound.V4_ECHO_REPLY | 1 << IcmpInbound.V4_DESTINATION_UNREACHABLE
                    | 1 << IcmpInbound.V4_TIME_EXCEEDED | 1 << IcmpInbound.V4_PARAMETER_PROBLEM;
            return ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putInt(0, ~pass);
        }

        /** struct icmp6_filter: 8 words, a set bit blocks that type (ICMP6_FILTER_SETBLOCKALL, then SETPASS). */
        private static ByteBuffer icmp6Filter() {
            int[] words = {-1, -1, -1, -1, -1, -1, -1, -1};
            for (int type : new int[] {IcmpInbound.V6_ECHO_REPLY, IcmpInbound.V6_DESTINATION_UNREACHABLE,
                    IcmpInbound.V6_PACKET_TOO_BIG, IcmpInbound.V6_TIME_EXCEEDED, IcmpInbound.V6_PARAMETER_PROBLEM}) {
                words[type >> 5] &= ~(1 << (type & 31));
            }
            ByteBuffer b = ByteBuffer.allocateDirect(32).order(ByteOrder.nativeOrder());
            for (int i = 0; i < 8; i++) b.putInt(i * 4, words[i]);
            return b;
        }

        void closeRaw() {
            if (rawFd >= 0) C.close(rawFd);
        }
    }

    /** Echo requests to one destination and what comes back for them. */
    public final class Session implements AutoCloseable {
        private final Family family;
        private final int fd;
        private final int identifier;
        private final InetAddress destination;
        private final Receiver receiver;
        private final int destination4;
        private final long destinationHigh;
        private final long destinationLow;
        private final ByteBuffer sockaddr;
        private volatile boolean closed;

        private Session(Family family, int fd, int identifier, InetAddress destination, Receiver receiver) {
            this.family = family;
            this.fd = fd;
            this.identifier = identifier;
            this.destination = destination;
            this.receiver = receiver;
            byte[] a = destination.getAddress();
            ByteBuffer big = ByteBuffer.wrap(a);
            if (family.v6) {
                destination4 = 0;
                destinationHigh = big.getLong(0);
                destinationLow = big.getLong(8);
                // sockaddr_in6: family, port, flow info, address, scope id (native order but the port and address)
                sockaddr = ByteBuffer.allocateDirect(SOCKADDR_IN6).order(ByteOrder.nativeOrder());
                sockaddr.putShort(0, (short) LibC.AF_INET6).put(8, a).putInt(24, ((Inet6Address) destination).getScopeId());
            } else {
                destination4 = big.getInt(0);
                destinationHigh = 0;
                destinationLow = destination4 & 0xffffffffL;
                sockaddr = ByteBuffer.allocateDirect(SOCKADDR_IN).order(ByteOrder.nativeOrder());
                sockaddr.putShort(0, (short) LibC.AF_INET).put(4, a);
            }
        }

        /** Returns where the session's requests go. */
        public InetAddress destination() {
            return destination;
        }

        /**
         * Sends an echo request with {@code sequence} and the bytes between {@code payload}'s position
         * and limit as its data. Returns false when the socket cannot take it now (or the session is
         * closed); throws when the kernel refuses it (no route, for one).
         */
        public boolean send(int sequence, ByteBuffer payload) throws NativeException {
            if (closed) return false;
            int length = IcmpInbound.ICMP_HEADER + payload.remaining();
            if (length > MAX_MESSAGE) throw new NativeException("send an echo request to " + destination.getHostAddress(), EMSGSIZE);
            synchronized (sendBuffer) {
                sendBuffer.clear();
                sendBuffer.put(0, (byte) (family.v6 ? IcmpInbound.V6_ECHO_REQUEST : IcmpInbound.V4_ECHO_REQUEST))
                        .put(1, (byte) 0).putShort(2, (short) 0)
                        .putShort(4, (short) identifier).putShort(6, (short) sequence)
                        .put(IcmpInbound.ICMP_HEADER, payload, payload.position(), payload.remaining());
                // The kernel fills the checksum of ping sockets and of ICMPv6 raw sockets (RFC 3542 §3.1); not of IPv4 raw ones.
                if (mode == Mode.RAW && !family.v6) sendBuffer.putShort(2, (short) IcmpInbound.checksum(sendBuffer, 0, length));
                long n = C.sendto(fd, sendBuffer, length, LibC.MSG_DONTWAIT, sockaddr, sockaddr.capacity());
                if (n < 0) {
                    int errno = LibC.errno();
                    if (errno == LibC.EAGAIN || errno == ENOBUFS) return false;
                    throw new NativeException("send an echo request to " + destination.getHostAddress(), errno);
                }
            }
            return true;
        }

        /** Stops the session: no reply is delivered after this returns, except one being delivered. */
        @Override
        public void close() {
            if (closed) return;
            closed = true;
            if (mode == Mode.RAW) {
                family.byIdentifier.compareAndSet(identifier, this, null);
                return;
            }
            synchronized (IcmpSocket.this) {
                // Once close() has released everything, the set is empty and the socket already closed.
                if (!pingSessions.remove(this)) return;
                retired.add(this);
                pollSetChanged = true;
                wake();
            }
        }

        private boolean isSource6(ByteBuffer sockaddr6) {
            return sockaddr6.getLong(8) == destinationHigh && sockaddr6.getLong(16) == destinationLow;
        }

        @Override
        public String toString() {
            return "icmp echo to " + destination.getHostAddress() + (identifier != 0 ? " id " + identifier : "");
        }
    }
}
