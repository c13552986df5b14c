package dev.nstun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.nstun.policies.outbound.OutboundException;
import dev.nstun.stack.flow.DialException;
import dev.nstun.stack.flow.DialFailure;
import java.io.IOException;
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
