package dev.nstun.stack;

import dev.nstun.stack.device.Device;
import dev.nstun.stack.flow.Dialer;
import dev.nstun.stack.flow.FlowSnapshot;
import dev.nstun.stack.icmp.EchoFlows;
import dev.nstun.stack.icmp.EchoTransport;
import dev.nstun.stack.relay.TcpFlows;
import dev.nstun.stack.udp.UdpFlows;
import dev.nstun.stack.wire.Checksum;
import dev.nstun.stack.wire.DropReason;
import dev.nstun.stack.wire.FragmentReassembler;
import dev.nstun.stack.wire.IpPacket;
import dev.nstun.stack.wire.IpProtocol;
import dev.nstun.stack.wire.Ipv4Packet;
import dev.nstun.stack.wire.Ipv6Packet;
import dev.nstun.stack.wire.TcpSegment;
import dev.nstun.stack.wire.UdpDatagram;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stack's loop: one thread owns every flow, the upstream channels (on a JDK {@link Selector})
 * and the packets it builds, so nothing on the per-packet path takes a lock. It waits on the device
 * in the same select() as on its sockets, through the device's {@link Device#readiness} channel: a
 * packet from the command wakes the loop itself, with no thread in between. A device without one
 * has a small watcher thread wait on it and wake the loop, then stay parked until the loop has
 * drained the device: one wakeup per batch of packets, not per packet, but two thread hand-offs
 * (watcher, loop) before the first packet is read. A dial that may block (a name to resolve)
 * runs on a virtual thread that reports back through a task queue; one the dialer can start
 * without blocking connects on the loop's selector, a proxy's handshake included
 * ({@link Dialer#startTcp}).
 */
public final class NetStack implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(NetStack.class);
    /** Largest IP packet a TUN hands over. */
    public static final int MAX_PACKET = 65535;
    /** Packets read per turn before the loop looks at its sockets again. */
    private static final int TUN_BUDGET = 256;
    private static final long HOUSEKEEPING_NANOS = 1_000_000_000L;
    /** How long the loop's end waits for a watcher thread to leave the device before closing it (it was woken already). */
    private static final long WATCHER_JOIN_MILLIS = 100;

    private final Device device;
    /**
     * Bytes read from the device per turn before the loop looks at its sockets again: a connection's
     * send buffer. A flow towards the command sends once per turn, at most what its send buffer
     * holds, while a flow from it is relayed packet by packet as the turn reads them: 256 packets of
     * up to 64 KiB (GSO) let an upload take ~16 MiB per turn to a download's 1 MiB and starved it
     * (iperf3 --bidir: 10 to 1). Bounded alike, both directions move about as much per turn.
     */
    private final int deviceBytesPerTurn;
    private final Selector selector;
    private final StackCounters counters = new StackCounters();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final ExecutorService dialers;
    private final ByteBuffer in = ByteBuffer.allocateDirect(MAX_PACKET);
    private final ByteBuffer out = ByteBuffer.allocateDirect(MAX_PACKET);
    private final Ipv4Packet ip4 = new Ipv4Packet();
    private final Ipv6Packet ip6 = new Ipv6Packet();
    private final UdpDatagram udp = new UdpDatagram();
    private final TcpSegment tcp = new TcpSegment();
    private final UdpFlows udpFlows;
    private final TcpFlows tcpFlows;
    private final EchoFlows echoFlows;
    private final DnsEndpoint dns;
    private final Ingress ingress;
    /** Bounded: 64 datagrams, 4 MiB in all, 30 s each (Linux's ipfrag defaults are of this order). */
    private final FragmentReassembler fragments = new FragmentReassembler(64, 4L << 20, FragmentReassembler.DEFAULT_TIMEOUT_MILLIS);
    private volatile boolean stopping;
    private volatile boolean tunReady;
    private volatile Thread watcher;
    /** The device's readiness channel on the selector; null when a watcher thread waits on the device instead. */
    private SelectionKey deviceKey;
    /** The last drain stopped at its budget with packets left: the next turn reads on without waiting. */
    private boolean deviceBacklog;
    private long nextHousekeeping;
    /** The loop's clock at the start of the current turn. */
    private long now;
    private long packetsIn;
    private long packetsOut;
    /** The packet being handled is a TCP segment or UDP datagram whose checksum the kernel left unfinished (see Device#enableOffload). */
    private boolean partialChecksum;

    /**
     * What a stack is made of besides its device.
     *
     * @param dialer        opens the upstream side of each flow
     * @param echoTransport carries ICMP echo requests out (ping)
     * @param udp           the UDP flow table's limits
     * @param tcp           the TCP connections' buffers, windows and limits
     * @param echo          the ICMP echo relay's limits; the addresses it answers locally are nstun's own on the
     *                      TUN's link, and the stack's "network unreachable" errors come from them (see {@link Ingress})
     * @param dns           how the resolver address answers DNS; empty: relayed like any UDP flow
     */
    public record Config(Dialer dialer, EchoTransport echoTransport, UdpFlows.Config udp, TcpFlows.Config tcp, EchoFlows.Config echo,
                         Optional<DnsEndpoint.Config> dns) {}

    /** A stack over {@code device}, made as {@code config} says; dials run on virtual threads. */
    public NetStack(Device device, Config config) throws IOException {
        this(device, config, Executors.newVirtualThreadPerTaskExecutor());
    }

    /** As the public constructor, with the dials run by {@code dialers} (a test may run each at once, on its own thread). */
    NetStack(Device device, Config config, ExecutorService dialers) throws IOException {
        this.device = device;
        this.dialers = dialers;
        this.deviceBytesPerTurn = config.tcp().tcp().sendBufferSize();
        this.selector = Selector.open();
        PacketOutput output = new PacketOutput() {
            @Override
            public ByteBuffer buffer() {
                return out;
            }

            @Override
            public void send(int length) {
                transmit(length);
            }

            @Override
            public void sendTcp(int headerLength, ByteBuffer payload, ByteBuffer more, int segmentSize) {
                out.limit(headerLength).position(0);
                try {
                    device.transmitTcp(out, payload, more, segmentSize);
                    packetsOut++;
                } catch (IOException e) {
                    log.debug("writing to the TUN: {}", e.getMessage());
                }
            }
        };
        this.dns = config.dns().isEmpty() ? null : new DnsEndpoint(config.dns().get(), dialers, this::onLoop, output, counters);
        Dialer dialer = dns == null ? config.dialer() : dns.wrap(config.dialer());
        this.udpFlows = new UdpFlows(dialer, selector, dialers, this::onLoop, output, counters, config.udp());
        this.tcpFlows = new TcpFlows(dialer, selector, dialers, this::onLoop, output, counters, config.tcp());
        this.echoFlows = new EchoFlows(config.echoTransport(), this::onLoop, output, counters, config.echo());
        this.ingress = new Ingress(output, counters, config.echo().answeredLocally());
    }

    @Override
    public void run() {
        begin(System.nanoTime());
        if (deviceKey == null) watcher = Thread.ofPlatform().daemon().name("nstun-tun-watch").start(this::watchDevice);
        try {
            while (!stopping) {
                if (mayWait()) {
                    long wake = Math.min(nextHousekeeping, tcpFlows.nextDeadline());
                    selector.select(Math.max(1, (wake - System.nanoTime() + 999_999) / 1_000_000));
                }
                turn(System.nanoTime(), tunReady);
            }
        } catch (IOException | RuntimeException e) {
            if (!stopping) log.error("the stack stopped: {}", e.toString(), e);
        } finally {
            release();
        }
    }

    /**
     * Returns whether the loop may wait for news: nothing is ready for it, and no connection holds an
     * ACK back ({@link TcpFlows#releaseAcks}: those are released now, for the next turn).
     */
    boolean mayWait() {
        if (tunReady || deviceBacklog || !tasks.isEmpty() || tcpFlows.hasWork()) return false;
        return !tcpFlows.releaseAcks();
    }

    /**
     * Readies the loop at {@code now}, before its first turn: offload if the device agrees, the
     * device's readiness channel on the selector if it has one, the housekeeping clock.
     */
    void begin(long now) {
        try {
            boolean offload = device.enableOffload();
            tcpFlows.offload(offload);
            udpFlows.offload(offload);
            if (dns != null) dns.offload(offload);
        } catch (IOException e) {
            log.debug("no offload: {}", e.getMessage());
        }
        try {
            Optional<SelectableChannel> readiness = device.readiness();
            if (readiness.isPresent()) {
                readiness.get().configureBlocking(false);
                deviceKey = readiness.get().register(selector, SelectionKey.OP_READ);
            }
        } catch (IOException | RuntimeException e) {
            log.debug("the device has no readiness channel, a thread waits on it: {}", e.toString());
        }
        nextHousekeeping = now + HOUSEKEEPING_NANOS;
    }

    /**
     * One turn of the loop at {@code now}, never waiting: the upstream sockets that are ready, the
     * dial results, the packets waiting on the device (when {@code deviceReadable}, its readiness
     * channel says so, or the last turn left some), the flows all that touched, and once a second
     * the expiry of idle flows and unfinished datagrams. The only clock is {@code now}: tests turn
     * the loop on virtual time.
     */
    void turn(long now, boolean deviceReadable) throws IOException {
        this.now = now;
        selector.selectNow();
        if (deviceKey != null && selector.selectedKeys().remove(deviceKey)) deviceReadable = true;
        tcpFlows.tick(now);
        serviceSockets(now);
        for (Runnable task; (task = tasks.poll()) != null; ) task.run();
        if (deviceReadable || deviceBacklog) drainDevice(now);
        tcpFlows.service(now);
        device.flush();
        if (now - nextHousekeeping >= 0) {
            udpFlows.expire(now);
            echoFlows.expire(now);
            for (int i = fragments.expire(now / 1_000_000); i > 0; i--) counters.count(DropReason.REASSEMBLY_TIMEOUT);
            nextHousekeeping = now + HOUSEKEEPING_NANOS;
        }
    }

    /**
     * Closes the device once nothing reads it (the loop has ended; a watcher thread, if there is one,
     * too), before the rest of the loop's clean-up: where the close deletes a TUN, its unregistering in
     * the kernel (10 to 20 ms of RCU grace periods, on a thread of its own) then overlaps all of it.
     * Its owner's close is then a second, harmless one.
     */
    private void closeDevice() {
        Thread w = watcher;
        if (w != null) {
            try {
                w.join(WATCHER_JOIN_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (w.isAlive()) return;
        }
        try {
            if (deviceKey != null) {
                // Off the selector first: a channel still registered closes only when the selector lets it
                // go, and the readiness channel holds the TUN too; its close would be the last, on this thread.
                deviceKey.cancel();
                selector.selectNow();
            }
            device.close();
        } catch (Exception e) {
            log.debug("closing the device: {}", e.toString());
        }
    }

    /** Closes every flow, the device, the DNS endpoint, the dialers and the selector: the loop has ended. */
    void release() {
        udpFlows.closeAll();
        tcpFlows.closeAll();
        echoFlows.closeAll();
        closeDevice();
        if (dns != null) {
            try {
                dns.close();
            } catch (IOException e) {
                log.debug("closing the DNS endpoint: {}", e.getMessage());
            }
        }
        dialers.shutdownNow();
        try {
            selector.close();
        } catch (IOException e) {
            log.debug("closing the selector: {}", e.getMessage());
        }
    }

    /**
     * Asks the loop to end; safe from any thread. Only the first call wakes the device: by a later
     * call it may be closed, and must not be touched.
     */
    public void stop() {
        if (stopping) return;
        stopping = true;
        device.wakeUp();
        selector.wakeup();
        Thread w = watcher;
        if (w != null) LockSupport.unpark(w);
    }

    /**
     * Asks the loop for a snapshot of its flows and counters, taken on the loop thread at its next
     * turn (woken now): nothing on the per-packet path pays for it, and nothing is read while the
     * loop changes it. Safe from any thread; the future never completes once the loop has ended, so
     * wait on it with a timeout.
     */
    public CompletableFuture<StackSnapshot> snapshot() {
        CompletableFuture<StackSnapshot> result = new CompletableFuture<>();
        onLoop(() -> result.complete(takeSnapshot()));
        return result;
    }

    private StackSnapshot takeSnapshot() {
        List<FlowSnapshot> flows = new ArrayList<>(tcpFlows.size() + udpFlows.size() + echoFlows.size());
        tcpFlows.snapshot(now, flows);
        udpFlows.snapshot(now, flows);
        echoFlows.snapshot(now, flows);
        if (dns != null) flows.replaceAll(f -> new FlowSnapshot(dns.nameOf(f.id()), f.state(), f.bytesToUpstream(), f.bytesFromUpstream(), f.ageNanos()));
        return new StackSnapshot(flows, counters.snapshot(), echoFlows.counters().snapshot(), counters.dnsSnapshot(), packetsIn, packetsOut);
    }

    /** Returns the drop counters. */
    public StackCounters counters() {
        return counters;
    }

    /** Returns the ICMP echo relay's own drop counters. */
    public Map<String, Long> echoCounters() {
        return echoFlows.counters().snapshot();
    }

    /** Returns how many packets were read from the device (loop thread's count; approximate elsewhere). */
    public long packetsIn() {
        return packetsIn;
    }

    /** Returns how many packets were written to the device. */
    public long packetsOut() {
        return packetsOut;
    }

    private void onLoop(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    private void watchDevice() {
        try {
            while (!stopping) {
                if (!device.awaitReceivable(-1)) continue;
                tunReady = true;
                selector.wakeup();
                while (tunReady && !stopping) LockSupport.park(this);
            }
        } catch (IOException e) {
            if (!stopping) log.error("waiting on the TUN failed: {}", e.getMessage());
        }
    }

    private void drainDevice(long now) throws IOException {
        long bytes = 0;
        deviceBacklog = true;
        for (int i = 0; i < TUN_BUDGET && bytes < deviceBytesPerTurn; i++) {
            int n = device.receive(in.clear());
            if (n <= 0) {
                deviceBacklog = false;
                tunReady = false;
                LockSupport.unpark(watcher);
                if (n < 0) stopping = true;
                return;
            }
            packetsIn++;
            bytes += n;
            partialChecksum = device.receivedPartialChecksum();
            onPacket(now, n);
        }
    }

    private void serviceSockets(long now) {
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
            SelectionKey key = it.next();
            it.remove();
            if (!key.isValid()) continue;
            if (key.channel() instanceof DatagramChannel) {
                if (key.isReadable()) udpFlows.onReadable(key, now);
            } else {
                if (key.isConnectable()) tcpFlows.onConnectable(key);
                else if (key.isReadable()) tcpFlows.onReadable(key);
                if (key.isValid() && key.isWritable()) tcpFlows.onWritable(key);
            }
        }
    }

    /** Handles one packet in {@code in[0, length)}: nothing here may throw on bad input. */
    private void onPacket(long now, int length) {
        int version = (in.get(0) & 0xff) >>> 4;
        IpPacket ip;
        DropReason bad;
        if (version == 4) {
            bad = ip4.wrapChecked(in, 0, length);
            if (bad == null && !Checksum.verifyIpv4Header(ip4)) bad = DropReason.IPV4_BAD_HEADER_CHECKSUM;
            ip = ip4;
        } else if (version == 6) {
            bad = ip6.wrapChecked(in, 0, length);
            ip = ip6;
        } else {
            bad = DropReason.IP_BAD_VERSION;
            ip = null;
        }
        if (bad != null) {
            counters.count(bad);
            return;
        }
        if (!ingress.admit(ip)) return;
        if (ip.isFragment()) {
            bad = ip == ip4 ? fragments.offer(now / 1_000_000, ip4) : fragments.offer(now / 1_000_000, ip6);
            for (int i = fragments.evictedByLastOffer(); i > 0; i--) counters.count(DropReason.REASSEMBLY_EVICTED);
            if (bad != null) {
                counters.count(bad);
                return;
            }
            ip = fragments.completed();
            if (ip == null) return;
            partialChecksum = false;
        }
        switch (ip.protocol()) {
            case IpProtocol.UDP -> onUdp(now, ip);
            case IpProtocol.TCP -> onTcp(now, ip);
            case IpProtocol.ICMP, IpProtocol.ICMPV6 -> echoFlows.onPacket(now, ip);
            default -> counters.count(StackCounters.Drop.NOT_RELAYED);
        }
    }

    private void onUdp(long now, IpPacket ip) {
        DropReason bad = udp.wrapChecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength());
        if (bad == null && !partialChecksum && !Checksum.verifyUdp(ip, udp)) bad = DropReason.UDP_BAD_CHECKSUM;
        if (bad != null) {
            counters.count(bad);
            return;
        }
        if (dns != null && dns.isQuery(ip, udp)) {
            dns.onQuery(ip, udp);
        } else {
            udpFlows.onPacket(now, ip, udp);
        }
    }

    private void onTcp(long now, IpPacket ip) {
        DropReason bad = tcp.wrapChecked(ip.buffer(), ip.payloadOffset(), ip.payloadLength());
        if (bad == null && !partialChecksum && !Checksum.verifyTcp(ip, tcp)) bad = DropReason.TCP_BAD_CHECKSUM;
        if (bad != null) {
            counters.count(bad);
            return;
        }
        tcpFlows.onPacket(now, ip, tcp);
    }

    private void transmit(int length) {
        out.limit(length).position(0);
        try {
            device.transmit(out);
            packetsOut++;
        } catch (IOException e) {
            log.debug("writing to the TUN: {}", e.getMessage());
        }
    }
}
