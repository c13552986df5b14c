package dev.nstun.stack.dns;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Fake addresses for names, remembered both ways, as clash's fake-ip mode keeps them: the resolver
 * answers A/AAAA queries with an address from here, and when the command later connects to that
 * address, {@link #nameOf} gives back the name for a proxy to resolve.
 *
 * <p>Entry {@code i} of the pool stands for the {@code i}-th IPv4 address of the range and the
 * {@code i}-th address of the IPv6 prefix, so both families of one name stay paired. When every
 * entry is taken, the least recently used one goes to the new name; a query for a name and a lookup
 * of its address both count as use.
 *
 * <p>Thread-safe: the stack's loop thread and virtual threads share one pool. The lock is a
 * {@link ReentrantLock} rather than {@code synchronized}, which on JDK 21 pins a virtual thread to
 * its carrier while it waits.
 */
public final class FakeIpPool {
    private final int first4;
    private final int last4;
    private final long prefixHigh;
    private final long prefixLow;
    private final int prefixLength;
    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    /** Name to entry index, in access order: the first entry is the least recently used. */
    private final LinkedHashMap<String, Integer> indexByName;
    private final String[] nameByIndex;

    /**
     * A pool of {@code capacity} entries over the IPv4 addresses {@code first..last} and the IPv6
     * prefix {@code prefix/prefixLength} (64 to 127 bits; its host bits zero). {@link #inRange}
     * covers the whole range and prefix, even where the capacity hands out fewer addresses. Choose
     * them so they hold none of your own addresses: entry 0 is {@code first} and the prefix itself.
     */
    public FakeIpPool(Inet4Address first, Inet4Address last, Inet6Address prefix, int prefixLength, int capacity) {
        this.first4 = ByteBuffer.wrap(first.getAddress()).getInt();
        this.last4 = ByteBuffer.wrap(last.getAddress()).getInt();
        ByteBuffer v6 = ByteBuffer.wrap(prefix.getAddress());
        this.prefixHigh = v6.getLong();
        this.prefixLow = v6.getLong();
        this.prefixLength = prefixLength;
        this.capacity = capacity;
        if (Integer.compareUnsigned(first4, last4) > 0) throw new IllegalArgumentException("empty IPv4 range " + first + ".." + last);
        if (prefixLength < 64 || prefixLength > 127) throw new IllegalArgumentException("IPv6 prefix length " + prefixLength + " (expected: 64 to 127)");
        long hostMask = -1L >>> prefixLength - 64;
        if ((prefixLow & hostMask) != 0) throw new IllegalArgumentException(prefix + "/" + prefixLength + " has host bits set");
        long v4Size = Integer.toUnsignedLong(last4) - Integer.toUnsignedLong(first4) + 1;
        if (capacity < 1 || capacity > v4Size || prefixLength > 64 && capacity - 1 > hostMask) {
            throw new IllegalArgumentException("capacity " + capacity + " (expected: 1 to the size of the IPv4 range and the IPv6 prefix)");
        }
        this.indexByName = new LinkedHashMap<>(16, 0.75f, true);
        this.nameByIndex = new String[capacity];
    }

    /**
     * Returns the fake IPv4 or IPv6 address of {@code name} (case and one trailing dot ignored),
     * taking an entry for it when it has none. Throws {@link IllegalArgumentException} when the
     * name is the root or not a plain host name (empty labels, labels over 63 bytes, over 255 in
     * all, characters outside printable ASCII, backslash escapes).
     */
    public InetAddress addressFor(String name, boolean ipv6) {
        int index = allocate(hostName(name));
        ByteBuffer address = ByteBuffer.allocate(ipv6 ? 16 : 4);
        if (ipv6) {
            address.putLong(ipv6High(index)).putLong(ipv6Low(index));
        } else {
            address.putInt(ipv4(index));
        }
        try {
            return InetAddress.getByAddress(address.array());
        } catch (UnknownHostException e) {
            throw new AssertionError("an address of 4 or 16 bytes", e);
        }
    }

    /** Returns the name whose fake address {@code address} is, if any, and counts that as a use of it. */
    public Optional<String> nameOf(InetAddress address) {
        return nameOf(address.getAddress());
    }

    /** Like {@link #nameOf(InetAddress)} for an address of 4 or 16 bytes in network order. */
    public Optional<String> nameOf(byte[] address) {
        int index = indexOf(address);
        if (index < 0) return Optional.empty();
        lock.lock();
        try {
            String name = nameByIndex[index];
            if (name == null) return Optional.empty();
            indexByName.get(name);
            return Optional.of(name);
        } finally {
            lock.unlock();
        }
    }

    /** Returns whether {@code address} lies in the pool's IPv4 range or IPv6 prefix, handed out or not. */
    public boolean inRange(InetAddress address) {
        return inRange(address.getAddress());
    }

    /** Like {@link #inRange(InetAddress)} for an address of 4 or 16 bytes in network order. */
    public boolean inRange(byte[] address) {
        ByteBuffer a = ByteBuffer.wrap(address);
        return switch (address.length) {
            case 4 -> Integer.compareUnsigned(a.getInt(), first4) >= 0 && Integer.compareUnsigned(a.getInt(0), last4) <= 0;
            case 16 -> a.getLong() == prefixHigh && (prefixLength == 64 || (a.getLong() ^ prefixLow) >>> 128 - prefixLength == 0);
            default -> false;
        };
    }

    /** Returns the number of names that have an entry. */
    public int size() {
        lock.lock();
        try {
            return indexByName.size();
        } finally {
            lock.unlock();
        }
    }

    /** Returns the number of entries. */
    public int capacity() {
        return capacity;
    }

    /**
     * Returns the entry index of {@code name}, a name as {@link #hostName} returns it, taking the
     * next unused entry or the least recently used one when it has none; a use of the entry.
     */
    int allocate(String name) {
        lock.lock();
        try {
            Integer index = indexByName.get(name);
            if (index != null) return index;
            int fresh;
            if (indexByName.size() < capacity) {
                // Entries are never given back, only reused, so the used ones are exactly 0..size-1.
                fresh = indexByName.size();
            } else {
                Iterator<Map.Entry<String, Integer>> eldest = indexByName.entrySet().iterator();
                fresh = eldest.next().getValue();
                eldest.remove();
            }
            indexByName.put(name, fresh);
            nameByIndex[fresh] = name;
            return fresh;
        } finally {
            lock.unlock();
        }
    }

    /** Returns the IPv4 address of entry {@code index}, big-endian. */
    int ipv4(int index) {
        return first4 + index;
    }

    /** Returns the high 64 bits of the IPv6 address of entry {@code index}. */
    long ipv6High(int index) {
        return prefixHigh;
    }

    /** Returns the low 64 bits of the IPv6 address of entry {@code index}. */
    long ipv6Low(int index) {
        return prefixLow + index;
    }

    /** Returns the entry index whose address {@code address} is, or -1 when no entry has it. */
    private int indexOf(byte[] address) {
        if (!inRange(address)) return -1;
        ByteBuffer a = ByteBuffer.wrap(address);
        long offset = address.length == 4 ? Integer.toUnsignedLong(a.getInt() - first4) : a.getLong(8) - prefixLow;
        return offset < capacity ? (int) offset : -1;
    }

    /** Returns {@code name} normalised, or throws when no entry may hold it. */
    static String hostName(String name) {
        String normalized = WireNames.normalize(name);
        if (normalized.isEmpty() || WireNames.wireLength(normalized) < 0) {
            throw new IllegalArgumentException("not a host name: " + name);
        }
        return normalized;
    }
}
