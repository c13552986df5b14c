package dev.nstun.netns;

import java.nio.ByteBuffer;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The few libc calls nstun makes, bound once through jnr-ffi. Buffers passed here are direct
 * {@link ByteBuffer}s: jnr hands their address to the kernel without a copy.
 */
public interface LibC {
    int O_RDONLY = 0;
    int O_RDWR = 2;
    int O_NONBLOCK = 0x800;
    int O_CLOEXEC = 0x80000;

    int CLONE_NEWNET = 0x40000000;

    /** mount(2) flags, and umount2(2)'s lazy detach. */
    long MS_BIND = 4096;
    long MS_REC = 16384;
    long MS_SHARED = 1 << 20;
    int MNT_DETACH = 2;

    int AF_UNIX = 1;

    int AF_INET = 2;
    int AF_INET6 = 10;
    int AF_NETLINK = 16;
    int SOCK_RAW = 3;
    int SOCK_CLOEXEC = 0x80000;
    int SOCK_DGRAM = 2;
    int SOCK_NONBLOCK = 0x800;
    int IPPROTO_ICMP = 1;
    int IPPROTO_ICMPV6 = 58;
    /** setsockopt level of a raw IPv4 socket's own options (ICMP_FILTER). */
    int SOL_RAW = 255;
    /** Raw IPv4 ICMP socket option: a 32-bit mask of the types NOT to deliver (linux/icmp.h). */
    int ICMP_FILTER = 1;
    /** Raw ICMPv6 socket option (level IPPROTO_ICMPV6): struct icmp6_filter, 256 bits, a set bit blocks that type. */
    int ICMP6_FILTER = 1;
    int MSG_DONTWAIT = 0x40;
    int MSG_ERRQUEUE = 0x2000;
    int SOL_IP = 0;
    int SOL_IPV6 = 41;
    /** Queue ICMP errors on the socket for recvmsg(MSG_ERRQUEUE) (ip(7), ipv6(7)). */
    int IP_RECVERR = 11;
    int IPV6_RECVERR = 25;

    short POLLIN = 0x1;
    short POLLERR = 0x8;

    int EINTR = 4;
    int EAGAIN = 11;

    int open(String path, int flags);

    int close(int fd);

    int dup3(int oldfd, int newfd, int flags);

    @ssize_t long read(int fd, @Out ByteBuffer buf, @size_t long count);

    @ssize_t long write(int fd, @In ByteBuffer buf, @size_t long count);

    /** {@code iov} holds {@code iovcnt} struct iovec (address, length) in native order; the addresses are of direct buffers. */
    @ssize_t long readv(int fd, @In ByteBuffer iov, int iovcnt);

    /** {@code iov} holds {@code iovcnt} struct iovec (address, length) in native order; the addresses are of direct buffers. */
    @ssize_t long writev(int fd, @In ByteBuffer iov, int iovcnt);

    int ioctl(int fd, long request, ByteBuffer arg);

    /** An ioctl whose argument is a value, not a pointer (TUNSETOFFLOAD). */
    int ioctl(int fd, long request, long arg);

    int unshare(int flags);

    /** {@code data}, the file system's options ("size=64k,mode=0755"), may be null. */
    int mount(String source, String target, String fileSystemType, long flags, String data);

    int umount2(String target, int flags);

    int setns(int fd, int nstype);

    int socket(int domain, int type, int protocol);

    int bind(int fd, @In ByteBuffer addr, int addrlen);

    @ssize_t long send(int fd, @In ByteBuffer buf, @size_t long len, int flags);

    @ssize_t long recv(int fd, @Out ByteBuffer buf, @size_t long len, int flags);

    @ssize_t long sendto(int fd, @In ByteBuffer buf, @size_t long len, int flags, @In ByteBuffer addr, int addrlen);

    /** {@code addrlen} holds a native-order socklen_t: the size of {@code addr} in, the address's length out. */
    @ssize_t long recvfrom(int fd, @Out ByteBuffer buf, @size_t long len, int flags, @Out ByteBuffer addr, ByteBuffer addrlen);

    int setsockopt(int fd, int level, int optname, @In ByteBuffer optval, int optlen);

    /** {@code msg} points at a struct msghdr in native memory (its buffers too). */
    @ssize_t long recvmsg(int fd, Pointer msg, int flags);

    /** {@code fds} holds struct pollfd entries (int fd, short events, short revents). */
    int poll(ByteBuffer fds, long nfds, int timeoutMillis);

    int eventfd(int initval, int flags);

    int if_nametoindex(String name);

    int getpgrp();

    int tcgetpgrp(int fd);

    int kill(int pid, int signal);

    String strerror(int errno);

    /** Ends the process at once with {@code status}: no atexit handlers, no stdio flush (exit_group). */
    void _exit(int status);

    /** Takes one pending signal of {@code set} (blocked in every thread) into {@code signal[0]}; returns 0 or an error number. */
    int sigwait(@In long[] set, @Out int[] signal);

    /** Sets the calling thread's file-system uid; returns the previous one (and the current one for -1, which changes nothing). */
    int setfsuid(int uid);

    /** Sets the calling thread's file-system gid; returns the previous one (and the current one for -1, which changes nothing). */
    int setfsgid(int gid);

    /**
     * Fills {@code groups} with {@code user}'s groups from the group database, {@code group} among
     * them; {@code count[0]} holds the room in {@code groups} and gets the number of groups (-1 when
     * there was not room for all).
     */
    int getgrouplist(String user, int group, @Out int[] groups, @In @Out int[] count);

    /**
     * A raw system call with two arguments, the second a pointer to ints: for the calls that glibc
     * would apply to every thread of the process ({@code setgroups}) where one thread is meant.
     */
    long syscall(long number, long count, @In int[] list);

    /** The bound library, loaded once. */
    LibC INSTANCE = JnrBindings.load(LibC.class, "c");

    /** Returns the calling thread's errno after a failed call. */
    static int errno() {
        return Runtime.getRuntime(INSTANCE).getLastError();
    }

    /** Returns "strerror(errno)" for the calling thread's last failure. */
    static String lastError() {
        return INSTANCE.strerror(errno());
    }
}
