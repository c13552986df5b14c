package dev.nstun.cli;

import dev.nstun.netns.TunDevice;
import dev.nstun.stack.device.Device;
import java.io.IOException;
import java.nio.ByteBuffer;

/** The real TUN device seen as the stack's {@link Device}: the seam between netns and stack. */
final class TunLink implements Device {
    private final TunDevice tun;

    TunLink(TunDevice tun) {
        this.tun = tun;
    }

    @Override
    public int receive(ByteBuffer dst) throws IOException {
        return tun.read(dst);
    }

    @Override
    public void transmit(ByteBuffer packet) throws IOException {
        tun.write(packet);
    }

    @Override
    public boolean awaitReceivable(int timeoutMillis) throws IOException {
        return tun.awaitReadable(timeoutMillis);
    }

    @Override
    public void wakeUp() {
        tun.wakeUp();
    }

    @Override
    public void close() {
        tun.close();
    }
}
