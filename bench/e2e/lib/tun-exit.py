#!/usr/bin/env python3
"""The kernel's part of "command exit -> nstun exit" (bench/e2e/startup): how long a process whose
TUN it alone holds open, in a network namespace of its own, takes from its last act to being reaped,
in ms, median of RUNS. The last close of a TUN unregisters the interface in the closing process's
exit, which waits for RCU grace periods; no process's exit status reaches its parent before that is
done. With --left the TUN is persistent (TUNSETPERSIST, as nstun leaves it once the command has
exited): the close leaves it, and the kernel deletes it with the namespace, in a worker of its own,
after the exit. Root only.   tun-exit.py [RUNS] [--left]"""
import ctypes, fcntl, os, statistics, struct, sys, time

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
TUNSETPERSIST = 0x400454CB
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
libc = ctypes.CDLL(None, use_errno=True)


def once():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        if libc.unshare(CLONE_NEWNET) != 0:
            os._exit(2)
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", b"tun0", IFF_TUN | IFF_NO_PI))
        if left:
            fcntl.ioctl(fd, TUNSETPERSIST, 1)
        os.write(w, struct.pack("d", time.monotonic()))
        os._exit(0)
    os.close(w)
    stamp = os.read(r, 8)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    done = time.monotonic()
    if status != 0 or len(stamp) != 8:
        sys.exit("tun-exit: the child could not make its TUN (root and /dev/net/tun needed)")
    return (done - struct.unpack("d", stamp)[0]) * 1000


runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
left = "--left" in sys.argv[2:]
print("%.1f" % statistics.median(once() for _ in range(runs)))
