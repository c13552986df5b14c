package dev.nstun.netns;

import com.kenai.jffi.CallContextCache;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Function;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The libc calls nstun makes, bound through jffi, the native layer under jnr-ffi: each function is
 * looked up by name and called with jffi's fast numeric invoker, as the stubs jnr-ffi generates do.
 * Measured in a fresh JVM with nstun's class-data archive (JDK 25): binding and first calling the
 * dozen functions that make a namespace and its TUN took 30 to 45 ms this way, 300 to 400 ms through
 * jnr-ffi's interface binding (its loader, a proxy class per interface and per annotation type, and
 * the conversions it works out per method on first call: 220 to 290 ms even for an interface of
 * those twelve alone), and more through Java's FFM API (20 to 45 ms per new call shape, JDK 25).
 *
 * <p>Buffers are direct {@link ByteBuffer}s whose address plus position goes to the kernel without a
 * copy (a heap buffer is refused); strings go as NUL-terminated copies. 64-bit Linux only: size_t
 * and pointers are Java longs. {@link #errno()} is the calling thread's errno as it was after its
 * last call here.
 */
public final class LibC {
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;

    public static final int CLONE_NEWNET = 0x40000000;

    /** mount(2) flags, and umount2(2)'s lazy detach. */
    public static final long MS_BIND = 4096;
    public static final long MS_REC = 16384;
    public static final long MS_SHARED = 1 << 20;
    public static final int MNT_DETACH = 2;

    public static final int AF_UNIX = 1;

    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int AF_NETLINK = 16;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int IPPROTO_ICMP = 1;
    public static final int IPPROTO_ICMPV6 = 58;
    /** setsockopt level of a raw IPv4 socket's own options (ICMP_FILTER). */
    public static final int SOL_RAW = 255;
    /** Raw IPv4 ICMP socket option: a 32-bit mask of the types NOT to deliver (linux/icmp.h). */
    public static final int ICMP_FILTER = 1;
    /** Raw ICMPv6 socket option (level IPPROTO_ICMPV6): struct icmp6_filter, 256 bits, a set bit blocks that type. */
    public static final int ICMP6_FILTER = 1;
    /** setsockopt level of a socket's own options, and two of them: struct timeval limits on a blocking recv and send. */
    public static final int SOL_SOCKET = 1;
    public static final int SO_RCVTIMEO = 20;
    public static final int SO_SNDTIMEO = 21;
    /** shutdown(2) of both directions: a thread blocked in accept on a listening socket returns with EINVAL. */
    public static final int SHUT_RDWR = 2;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_ERRQUEUE = 0x2000;
    public static final int SOL_IP = 0;
    public static final int SOL_IPV6 = 41;
    /** Queue ICMP errors on the socket for recvmsg(MSG_ERRQUEUE) (ip(7), ipv6(7)). */
    public static final int IP_RECVERR = 11;
    public static final int IPV6_RECVERR = 25;

    public static final short POLLIN = 0x1;
    public static final short POLLERR = 0x8;

    /** setpriority(2)'s {@code which} for one process or, given a thread id, one thread. */
    public static final int PRIO_PROCESS = 0;

    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int ENOSYS = 38;

    /** posix_spawnattr_setflags: the child's signal mask is the attribute's (here: empty). */
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    /** Room for glibc's posix_spawn_file_actions_t (80 bytes), posix_spawnattr_t (336) and a sigset_t (128), with margin. */
    private static final long SPAWN_ACTIONS_BYTES = 256;
    private static final long SPAWN_ATTR_BYTES = 512;
    private static final long SIGSET_BYTES = 128;

    private static final Invoker INVOKER = Invoker.getInstance();
    private static final MemoryIO MEMORY = MemoryIO.getInstance();
    private static final Library PROCESS = Library.getDefault();

    private static final Function OPEN = function("open", Type.SINT, Type.POINTER, Type.SINT);
    private static final Function CLOSE = function("close", Type.SINT, Type.SINT);
    private static final Function DUP3 = function("dup3", Type.SINT, Type.SINT, Type.SINT, Type.SINT);
    private static final Function READ = function("read", Type.SLONG, Type.SINT, Type.POINTER, Type.ULONG);
    private static final Function WRITE = function("write", Type.SLONG, Type.SINT, Type.POINTER, Type.ULONG);
    private static final Function READV = function("readv", Type.SLONG, Type.SINT, Type.POINTER, Type.SINT);
    private static final Function WRITEV = function("writev", Type.SLONG, Type.SINT, Type.POINTER, Type.SINT);
    private static final Function IOCTL = function("ioctl", Type.SINT, Type.SINT, Type.ULONG, Type.ULONG);
    private static final Function READLINK = function("readlink", Type.SLONG, Type.POINTER, Type.POINTER, Type.ULONG);
    private static final Function UNSHARE = function("unshare", Type.SINT, Type.SINT);
    private static final Function MOUNT = function("mount", Type.SINT, Type.POINTER, Type.POINTER, Type.POINTER, Type.ULONG, Type.POINTER);
    private static final Function UMOUNT2 = function("umount2", Type.SINT, Type.POINTER, Type.SINT);
    private static final Function SETNS = function("setns", Type.SINT, Type.SINT, Type.SINT);
    private static final Function SOCKET = function("socket", Type.SINT, Type.SINT, Type.SINT, Type.SINT);
    private static final Function BIND = function("bind", Type.SINT, Type.SINT, Type.POINTER, Type.UINT);
    private static final Function LISTEN = function("listen", Type.SINT, Type.SINT, Type.SINT);
    private static final Function ACCEPT4 = function("accept4", Type.SINT, Type.SINT, Type.POINTER, Type.POINTER, Type.SINT);
    private static final Function SHUTDOWN = function("shutdown", Type.SINT, Type.SINT, Type.SINT);
    private static final Function SEND = function("send", Type.SLONG, Type.SINT, Type.POINTER, Type.ULONG, Type.SINT);
    private static final Function RECV = function("recv", Type.SLONG, Type.SINT, Type.POINTER, Type.ULONG, Type.SINT);
    private static final Function SENDTO = function("sendto", Type.SLONG, Type.SINT, Type.POINTER, Type.ULONG, Type.SINT, Type.POINTER, Type.UINT);
    private static final Function RECVFROM = function("recvfrom", Type.SLONG, Type.SINT, Type.POINTER, Type.ULONG, Type.SINT, Type.POINTER,
            Type.POINTER);
    private static final Function SETSOCKOPT = function("setsockopt", Type.SINT, Type.SINT, Type.SINT, Type.SINT, Type.POINTER, Type.UINT);
    private static final Function RECVMSG = function("recvmsg", Type.SLONG, Type.SINT, Type.POINTER, Type.SINT);
    private static final Function POLL = function("poll", Type.SINT, Type.POINTER, Type.ULONG, Type.SINT);
    private static final Function EVENTFD = function("eventfd", Type.SINT, Type.UINT, Type.SINT);
    private static final Function IF_NAMETOINDEX = function("if_nametoindex", Type.UINT, Type.POINTER);
    private static final Function GETPGRP = function("getpgrp", Type.SINT);
    private static final Function TCGETPGRP = function("tcgetpgrp", Type.SINT, Type.SINT);
    private static final Function KILL = function("kill", Type.SINT, Type.SINT, Type.SINT);
    private static final Function SETPRIORITY = function("setpriority", Type.SINT, Type.SINT, Type.UINT, Type.SINT);
    private static final Function STRERROR = function("strerror", Type.POINTER, Type.SINT);
    private static final Function EXIT = function("_exit", Type.VOID, Type.SINT);
    private static final Function SIGWAIT = function("sigwait", Type.SINT, Type.POINTER, Type.POINTER);
    private static final Function SETFSUID = function("setfsuid", Type.SINT, Type.UINT);
    private static final Function SETFSGID = function("setfsgid", Type.SINT, Type.UINT);
    private static final Function GETGROUPLIST = function("getgrouplist", Type.SINT, Type.POINTER, Type.UINT, Type.POINTER, Type.POINTER);
    private static final Function SYSCALL = function("syscall", Type.SLONG, Type.SLONG, Type.SLONG, Type.POINTER);
    private static final Function GETUID = function("getuid", Type.UINT);
    private static final Function GETEUID = function("geteuid", Type.UINT);
    private static final Function GETPWNAM_R = function("getpwnam_r", Type.SINT, Type.POINTER, Type.POINTER, Type.POINTER, Type.ULONG, Type.POINTER);
    private static final Function GETPWUID_R = function("getpwuid_r", Type.SINT, Type.UINT, Type.POINTER, Type.POINTER, Type.ULONG, Type.POINTER);
    private static final Function POSIX_SPAWNP = function("posix_spawnp", Type.SINT, Type.POINTER, Type.POINTER, Type.POINTER, Type.POINTER,
            Type.POINTER, Type.POINTER);
    private static final Function SPAWN_ACTIONS_INIT = function("posix_spawn_file_actions_init", Type.SINT, Type.POINTER);
    private static final Function SPAWN_ACTIONS_DESTROY = function("posix_spawn_file_actions_destroy", Type.SINT, Type.POINTER);
    /** glibc 2.29 and 2.34 (null where the libc has none: {@link #spawn} then fails with ENOSYS). */
    private static final Function SPAWN_ACTIONS_CHDIR = optionalFunction("posix_spawn_file_actions_addchdir_np", Type.SINT, Type.POINTER,
            Type.POINTER);
    private static final Function SPAWN_ACTIONS_CLOSEFROM = optionalFunction("posix_spawn_file_actions_addclosefrom_np", Type.SINT,
            Type.POINTER, Type.SINT);
    private static final Function SPAWNATTR_INIT = function("posix_spawnattr_init", Type.SINT, Type.POINTER);
    private static final Function SPAWNATTR_DESTROY = function("posix_spawnattr_destroy", Type.SINT, Type.POINTER);
    private static final Function SPAWNATTR_SETFLAGS = function("posix_spawnattr_setflags", Type.SINT, Type.POINTER, Type.SSHORT);
    private static final Function SPAWNATTR_SETSIGMASK = function("posix_spawnattr_setsigmask", Type.SINT, Type.POINTER, Type.POINTER);
    private static final Function WAITPID = function("waitpid", Type.SINT, Type.SINT, Type.POINTER, Type.SINT);

    /** The bound library: every function was looked up when this class initialised. */
    public static final LibC INSTANCE = new LibC();

    private LibC() {}

    /** Looks up {@code name} among the functions the process has loaded (the JVM links libc); its calls save errno. */
    private static Function function(String name, Type result, Type... parameters) {
        long address = PROCESS.getSymbolAddress(name);
        if (address == 0) throw new UnsatisfiedLinkError("libc has no " + name + ": " + Library.getLastError());
        return new Function(address, CallContextCache.getInstance().getCallContext(result, parameters, CallingConvention.DEFAULT, true));
    }

    /** {@link #function}, or null where the process has no such function. */
    private static Function optionalFunction(String name, Type result, Type... parameters) {
        long address = PROCESS.getSymbolAddress(name);
        return address == 0 ? null
                : new Function(address, CallContextCache.getInstance().getCallContext(result, parameters, CallingConvention.DEFAULT, true));
    }

    private static long call(Function f) {
        return INVOKER.invokeN0(f.getCallContext(), f.getFunctionAddress());
    }

    private static long call(Function f, long a) {
        return INVOKER.invokeN1(f.getCallContext(), f.getFunctionAddress(), a);
    }

    private static long call(Function f, long a, long b) {
        return INVOKER.invokeN2(f.getCallContext(), f.getFunctionAddress(), a, b);
    }

    private static long call(Function f, long a, long b, long c) {
        return INVOKER.invokeN3(f.getCallContext(), f.getFunctionAddress(), a, b, c);
    }

    private static long call(Function f, long a, long b, long c, long d) {
        return INVOKER.invokeN4(f.getCallContext(), f.getFunctionAddress(), a, b, c, d);
    }

    private static long call(Function f, long a, long b, long c, long d, long e) {
        return INVOKER.invokeN5(f.getCallContext(), f.getFunctionAddress(), a, b, c, d, e);
    }

    private static long call(Function f, long a, long b, long c, long d, long e, long g) {
        return INVOKER.invokeN6(f.getCallContext(), f.getFunctionAddress(), a, b, c, d, e, g);
    }

    /** Returns the address of {@code buffer}'s position, or 0 (NULL) for null. */
    private static long address(ByteBuffer buffer) {
        if (buffer == null) return 0;
        if (!buffer.isDirect()) throw new IllegalArgumentException("libc calls take direct buffers");
        return MEMORY.getDirectBufferAddress(buffer) + buffer.position();
    }

    /** Returns a malloc'ed NUL-terminated copy of {@code s} (UTF-8), for {@link #free}. */
    private static long cString(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        long p = allocate(bytes.length + 1);
        MEMORY.putZeroTerminatedByteArray(p, bytes, 0, bytes.length);
        return p;
    }

    private static long allocate(long size) {
        return allocate(size, false);
    }

    private static long allocate(long size, boolean zeroed) {
        long p = MEMORY.allocateMemory(size, zeroed);
        if (p == 0) throw new OutOfMemoryError("malloc(" + size + ")");
        return p;
    }

    private static void free(long p) {
        MEMORY.freeMemory(p);
    }

    public int open(String path, int flags) {
        long p = cString(path);
        try {
            return (int) call(OPEN, p, flags);
        } finally {
            free(p);
        }
    }

    public int close(int fd) {
        return (int) call(CLOSE, fd);
    }

    public int dup3(int oldfd, int newfd, int flags) {
        return (int) call(DUP3, oldfd, newfd, flags);
    }

    /** Reads into {@code buf} from its position; does not move it. */
    public long read(int fd, ByteBuffer buf, long count) {
        return call(READ, fd, address(buf), count);
    }

    /** Writes from {@code buf}'s position; does not move it. */
    public long write(int fd, ByteBuffer buf, long count) {
        return call(WRITE, fd, address(buf), count);
    }

    /** {@code iov} holds {@code iovcnt} struct iovec (address, length) in native order; the addresses are of direct buffers. */
    public long readv(int fd, ByteBuffer iov, int iovcnt) {
        return call(READV, fd, address(iov), iovcnt);
    }

    /** {@code iov} holds {@code iovcnt} struct iovec (address, length) in native order; the addresses are of direct buffers. */
    public long writev(int fd, ByteBuffer iov, int iovcnt) {
        return call(WRITEV, fd, address(iov), iovcnt);
    }

    public int ioctl(int fd, long request, ByteBuffer arg) {
        return (int) call(IOCTL, fd, request, address(arg));
    }

    /** An ioctl whose argument is a value, not a pointer (TUNSETOFFLOAD). */
    public int ioctl(int fd, long request, long arg) {
        return (int) call(IOCTL, fd, request, arg);
    }

    /**
     * Reads the target of link {@code path} into {@code buf} from its position, at most its remaining
     * bytes, not NUL-terminated; does not move it. Returns the bytes read (as many as fit when the
     * target is longer), or -1 (errno).
     */
    public long readlink(String path, ByteBuffer buf) {
        long p = cString(path);
        try {
            return call(READLINK, p, address(buf), buf.remaining());
        } finally {
            free(p);
        }
    }

    public int unshare(int flags) {
        return (int) call(UNSHARE, flags);
    }

    /** mount(2) with no file-system data. */
    public int mount(String source, String target, String fileSystemType, long flags) {
        return mount(source, target, fileSystemType, flags, null);
    }

    /** mount(2) with the file system's options ("size=64k,mode=0755"); a null string is a null pointer. */
    public int mount(String source, String target, String fileSystemType, long flags, String data) {
        long s = source == null ? 0 : cString(source);
        long t = cString(target);
        long f = fileSystemType == null ? 0 : cString(fileSystemType);
        long d = data == null ? 0 : cString(data);
        try {
            return (int) call(MOUNT, s, t, f, flags, d);
        } finally {
            if (s != 0) free(s);
            free(t);
            if (f != 0) free(f);
            if (d != 0) free(d);
        }
    }

    public int umount2(String target, int flags) {
        long t = cString(target);
        try {
            return (int) call(UMOUNT2, t, flags);
        } finally {
            free(t);
        }
    }

    public int setns(int fd, int nstype) {
        return (int) call(SETNS, fd, nstype);
    }

    public int socket(int domain, int type, int protocol) {
        return (int) call(SOCKET, domain, type, protocol);
    }

    public int bind(int fd, ByteBuffer addr, int addrlen) {
        return (int) call(BIND, fd, address(addr), addrlen);
    }

    public int listen(int fd, int backlog) {
        return (int) call(LISTEN, fd, backlog);
    }

    /** Accepts a connection on the listening socket {@code fd}, the peer's address not asked for. */
    public int accept4(int fd, int flags) {
        return (int) call(ACCEPT4, fd, 0, 0, flags);
    }

    public int shutdown(int fd, int how) {
        return (int) call(SHUTDOWN, fd, how);
    }

    public long send(int fd, ByteBuffer buf, long len, int flags) {
        return call(SEND, fd, address(buf), len, flags);
    }

    public long recv(int fd, ByteBuffer buf, long len, int flags) {
        return call(RECV, fd, address(buf), len, flags);
    }

    public long sendto(int fd, ByteBuffer buf, long len, int flags, ByteBuffer addr, int addrlen) {
        return call(SENDTO, fd, address(buf), len, flags, address(addr), addrlen);
    }

    /** {@code addrlen} holds a native-order socklen_t: the size of {@code addr} in, the address's length out. */
    public long recvfrom(int fd, ByteBuffer buf, long len, int flags, ByteBuffer addr, ByteBuffer addrlen) {
        return call(RECVFROM, fd, address(buf), len, flags, address(addr), address(addrlen));
    }

    public int setsockopt(int fd, int level, int optname, ByteBuffer optval, int optlen) {
        return (int) call(SETSOCKOPT, fd, level, optname, address(optval), optlen);
    }

    /** {@code msg} holds a struct msghdr in native order, whose pointers are into direct buffers. */
    public long recvmsg(int fd, ByteBuffer msg, int flags) {
        return call(RECVMSG, fd, address(msg), flags);
    }

    /** {@code fds} holds struct pollfd entries (int fd, short events, short revents). */
    public int poll(ByteBuffer fds, long nfds, int timeoutMillis) {
        return (int) call(POLL, address(fds), nfds, timeoutMillis);
    }

    public int eventfd(int initval, int flags) {
        return (int) call(EVENTFD, initval, flags);
    }

    public int if_nametoindex(String name) {
        long n = cString(name);
        try {
            return (int) call(IF_NAMETOINDEX, n);
        } finally {
            free(n);
        }
    }

    public int getpgrp() {
        return (int) call(GETPGRP);
    }

    public int tcgetpgrp(int fd) {
        return (int) call(TCGETPGRP, fd);
    }

    public int kill(int pid, int signal) {
        return (int) call(KILL, pid, signal);
    }

    /** {@code which} {@link #PRIO_PROCESS} and {@code who} a thread id: that thread's nice value. */
    public int setpriority(int which, int who, int nice) {
        return (int) call(SETPRIORITY, which, who, nice);
    }

    public String strerror(int errno) {
        long p = call(STRERROR, errno);
        return p == 0 ? "errno " + errno : new String(MEMORY.getZeroTerminatedByteArray(p), StandardCharsets.UTF_8);
    }

    /** Ends the process at once with {@code status}: no atexit handlers, no stdio flush (exit_group). */
    public void _exit(int status) {
        call(EXIT, status);
    }

    /** Takes one pending signal of {@code set} (blocked in every thread) into {@code signal[0]}; returns 0 or an error number. */
    public int sigwait(long[] set, int[] signal) {
        long setBytes = 8L * set.length;
        long p = allocate(setBytes + 4);
        try {
            MEMORY.putLongArray(p, set, 0, set.length);
            int error = (int) call(SIGWAIT, p, p + setBytes);
            signal[0] = MEMORY.getInt(p + setBytes);
            return error;
        } finally {
            free(p);
        }
    }

    /** Sets the calling thread's file-system uid; returns the previous one (and the current one for -1, which changes nothing). */
    public int setfsuid(int uid) {
        return (int) call(SETFSUID, uid);
    }

    /** Sets the calling thread's file-system gid; returns the previous one (and the current one for -1, which changes nothing). */
    public int setfsgid(int gid) {
        return (int) call(SETFSGID, gid);
    }

    /**
     * Fills {@code groups} with {@code user}'s groups from the group database, {@code group} among
     * them; {@code count[0]} holds the room in {@code groups} and gets the number of groups (-1 when
     * there was not room for all).
     */
    public int getgrouplist(String user, int group, int[] groups, int[] count) {
        long name = cString(user);
        long p = allocate(4L * groups.length + 4);
        long countAt = p + 4L * groups.length;
        try {
            MEMORY.putInt(countAt, count[0]);
            int r = (int) call(GETGROUPLIST, name, group, p, countAt);
            count[0] = MEMORY.getInt(countAt);
            MEMORY.getIntArray(p, groups, 0, Math.min(groups.length, Math.max(0, count[0])));
            return r;
        } finally {
            free(name);
            free(p);
        }
    }

    /**
     * A raw system call with two arguments, the second a pointer to ints: for the calls that glibc
     * would apply to every thread of the process ({@code setgroups}) where one thread is meant.
     */
    public long syscall(long number, long count, int[] list) {
        long p = allocate(Math.max(4L, 4L * list.length));
        try {
            MEMORY.putIntArray(p, list, 0, list.length);
            return call(SYSCALL, number, count, p);
        } finally {
            free(p);
        }
    }

    public int getuid() {
        return (int) call(GETUID);
    }

    public int geteuid() {
        return (int) call(GETEUID);
    }

    /**
     * Looks user {@code name} up in the user database: fills {@code pwd} (a struct passwd, 48 bytes)
     * whose strings point into {@code buf} (its remaining bytes), and puts in {@code result} (8 bytes)
     * the address of {@code pwd}, or 0 when there is no such user. Returns 0 or an error number
     * (ERANGE: {@code buf} is too small). Unlike getpwnam(3), no record is shared between threads.
     */
    public int getpwnam_r(String name, ByteBuffer pwd, ByteBuffer buf, ByteBuffer result) {
        long n = cString(name);
        try {
            return (int) call(GETPWNAM_R, n, address(pwd), address(buf), buf.remaining(), address(result));
        } finally {
            free(n);
        }
    }

    /** {@link #getpwnam_r} for user id {@code uid}. */
    public int getpwuid_r(int uid, ByteBuffer pwd, ByteBuffer buf, ByteBuffer result) {
        return (int) call(GETPWUID_R, uid, address(pwd), address(buf), buf.remaining(), address(result));
    }

    /**
     * Starts {@code argv[0]}, found on this process's PATH, with {@code argv} and {@code envp}
     * ("NAME=value" each), in {@code directory} (null: this process's), every fd from 3 up closed and
     * no signal blocked; fds 0-2 and the process group are this process's. Returns the child's pid,
     * or minus the error number (ENOENT: no such program on PATH; ENOSYS: this libc cannot close the
     * fds or change the directory for the child, glibc before 2.34).
     */
    public long spawn(String[] argv, String[] envp, String directory) {
        if (SPAWN_ACTIONS_CLOSEFROM == null || directory != null && SPAWN_ACTIONS_CHDIR == null) return -ENOSYS;
        long argvArray = allocate(8L * (argv.length + 1), true);
        long envpArray = allocate(8L * (envp.length + 1), true);
        long actions = allocate(SPAWN_ACTIONS_BYTES);
        long attr = allocate(SPAWN_ATTR_BYTES + SIGSET_BYTES + 8, true);
        long sigset = attr + SPAWN_ATTR_BYTES;
        long pidAt = sigset + SIGSET_BYTES;
        long dir = directory == null ? 0 : cString(directory);
        try {
            for (int i = 0; i < argv.length; i++) MEMORY.putAddress(argvArray + 8L * i, cString(argv[i]));
            for (int i = 0; i < envp.length; i++) MEMORY.putAddress(envpArray + 8L * i, cString(envp[i]));
            int error = (int) call(SPAWN_ACTIONS_INIT, actions);
            if (error != 0) return -error;
            try {
                error = (int) call(SPAWNATTR_INIT, attr);
                if (error != 0) return -error;
                try {
                    if (dir != 0 && (error = (int) call(SPAWN_ACTIONS_CHDIR, actions, dir)) != 0) return -error;
                    if ((error = (int) call(SPAWN_ACTIONS_CLOSEFROM, actions, 3)) != 0) return -error;
                    if ((error = (int) call(SPAWNATTR_SETSIGMASK, attr, sigset)) != 0) return -error;
                    if ((error = (int) call(SPAWNATTR_SETFLAGS, attr, POSIX_SPAWN_SETSIGMASK)) != 0) return -error;
                    error = (int) call(POSIX_SPAWNP, pidAt, MEMORY.getAddress(argvArray), actions, attr, argvArray, envpArray);
                    return error != 0 ? -error : MEMORY.getInt(pidAt);
                } finally {
                    call(SPAWNATTR_DESTROY, attr);
                }
            } finally {
                call(SPAWN_ACTIONS_DESTROY, actions);
            }
        } finally {
            freeStrings(argvArray, argv.length);
            freeStrings(envpArray, envp.length);
            free(actions);
            free(attr);
            if (dir != 0) free(dir);
        }
    }

    /** Frees the strings of a zeroed array of {@code count} C string pointers (those set so far), then the array. */
    private static void freeStrings(long array, int count) {
        for (int i = 0; i < count; i++) {
            long string = MEMORY.getAddress(array + 8L * i);
            if (string != 0) free(string);
        }
        free(array);
    }

    /** waitpid(2) for {@code pid} to end; its wait status goes into {@code status[0]}. Returns the pid, or -1 (errno). */
    public int waitpid(int pid, int[] status) {
        long p = allocate(4);
        try {
            int r = (int) call(WAITPID, pid, p, 0);
            status[0] = MEMORY.getInt(p);
            return r;
        } finally {
            free(p);
        }
    }

    /** Returns the calling thread's errno after a failed call. */
    public static int errno() {
        return LastError.getInstance().get();
    }

    /** Returns "strerror(errno)" for the calling thread's last failure. */
    public static String lastError() {
        return INSTANCE.strerror(errno());
    }
}
