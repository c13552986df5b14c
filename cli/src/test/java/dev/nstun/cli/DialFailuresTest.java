package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.nstun.policies.outbound.OutboundException;
import dev.nstun.stack.flow.DialException;
import dev.nstun.stack.flow.DialFailure;
import dev.nstun.stack.flow.FlowId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

class DialFailuresTest {
    @Test
    void realRefusalFromTheKernelIsRefused() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        IOException thrown = null;
        try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
            ch.isConnected();
        } catch (IOException e) {
            thrown = e;
        }
        assertEquals(DialFailure.REFUSED, DialFailures.classify(thrown).failure(), "connect to a closed port: " + thrown);
    }

    @Test
    void eachCauseHasItsAnswer() {
        assertFailure(DialFailure.REFUSED, new ConnectException("Connection refused"));
        assertFailure(DialFailure.TIMED_OUT, new ConnectException("Connection timed out"));
        assertFailure(DialFailure.TIMED_OUT, new SocketTimeoutException("Connect timed out"));
        assertFailure(DialFailure.HOST_UNREACHABLE, new NoRouteToHostException("No route to host"));
        assertFailure(DialFailure.HOST_UNREACHABLE, new NoRouteToHostException("Host unreachable: example.com:443 (via proxy)"));
        assertFailure(DialFailure.NETWORK_UNREACHABLE, new NoRouteToHostException("Network unreachable: example.com:443 (via proxy)"));
        assertFailure(DialFailure.NETWORK_UNREACHABLE, new SocketException("Network is unreachable"));
        assertFailure(DialFailure.LOCAL_RESOURCE, new BindException("Cannot assign requested address"));
        assertFailure(DialFailure.LOCAL_RESOURCE, new SocketException("Too many open files"));
        assertFailure(DialFailure.PROXY_FAILED, new OutboundException(OutboundException.Kind.PROXY_UNREACHABLE, "proxy down"));
        assertFailure(DialFailure.PROXY_FAILED, new OutboundException(OutboundException.Kind.AUTHENTICATION, "bad password"));
        assertFailure(DialFailure.PROHIBITED, new OutboundException(OutboundException.Kind.NOT_ALLOWED, "proxy forbids"));
        assertFailure(DialFailure.FAILED, new IOException("something odd"));
    }

    @Test
    void aDialTheStackGaveUpIsNotWarned() throws Exception {
        Logger logger = LoggerFactory.getLogger("test.dialfailures");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            DialFailures failures = new DialFailures(logger);
            FlowId flow = new FlowId(FlowId.Protocol.TCP, InetAddress.getByName("198.18.0.1"), 40000, InetAddress.getByName("192.0.2.1"), 443);
            assertEquals(DialFailure.FAILED, failures.failed("direct", flow, new ClosedByInterruptException()).failure());
            assertEquals(DialFailure.FAILED, failures.failed("direct", flow, new AsynchronousCloseException()).failure(), "a connect on the loop closed");
        } finally {
            System.setErr(saved);
        }
        assertEquals("", err.toString(StandardCharsets.UTF_8), "log lines");
    }

    @Test
    void aTypedFailureStaysAsItIs() {
        DialException dropped = new DialException(DialFailure.DROPPED, "dropped");
        assertSame(dropped, DialFailures.classify(dropped));
    }

    private static void assertFailure(DialFailure want, IOException e) {
        DialException got = DialFailures.classify(e);
        assertEquals(want, got.failure(), "failure of " + e);
        assertEquals(e.getMessage(), got.getMessage(), "message of " + e);
    }
}
