#!/usr/bin/env python3
"""fsync-cost.py [DIR] [N]: the kernel's CPU and the wall time of making a 512-byte audit record durable, per way of
writing it, interleaved rounds so a loaded machine weighs on all alike (ops/bin/bench fsync-cost).

  append      write at the end (the file grows) + fdatasync: what the audit log does
  overwrite   write inside a region already written and sized (no allocation, no size change) + fdatasync
  fallocate   fallocate(KEEP_SIZE) ahead, then append + fdatasync (blocks allocated, the size still grows)
  dsync       append through O_DSYNC (one syscall)
  dsync-over  overwrite through O_DSYNC

System CPU is this process's (getrusage); the journal thread's work (jbd2) is not in it, nor visible here.
"""
import ctypes, ctypes.util, os, resource, sys, time

d = sys.argv[1] if len(sys.argv) > 1 else "."
n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
FALLOC_FL_KEEP_SIZE = 1
rec = b"x" * 511 + b"\n"


def run(kind):
    p = os.path.join(d, "fsync-cost-" + kind)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (os.O_DSYNC if kind.startswith("dsync") else 0)
    fd = os.open(p, flags, 0o600)
    over = kind in ("overwrite", "dsync-over")
    if over:  # the region written and made durable first, as a pre-sized segment would be
        os.write(fd, b"\0" * (len(rec) * n))
        os.fsync(fd)
        os.lseek(fd, 0, os.SEEK_SET)
    if kind == "fallocate":
        if libc.fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len(rec) * n) != 0:
            os.close(fd)
            return None
        os.fsync(fd)
    t = []
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(n):
        s = time.perf_counter()
        os.write(fd, rec)
        if not kind.startswith("dsync"):
            os.fdatasync(fd)
        t.append((time.perf_counter() - s) * 1000)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    os.close(fd)
    os.unlink(p)
    t.sort()
    return (r1.ru_stime - r0.ru_stime) / n * 1e6, t[len(t) // 2], t[int(len(t) * 0.99)], \
        (r1.ru_nvcsw - r0.ru_nvcsw) / n


kinds = ["append", "overwrite", "fallocate", "dsync", "dsync-over"]
res = {k: [] for k in kinds}
for _ in range(3):
    for k in kinds:
        res[k].append(run(k))
print("== %d x 512-byte record made durable, 3 interleaved rounds, in %s" % (n, os.path.abspath(d)))
for k in kinds:
    rs = [r for r in res[k] if r]
    if not rs:
        print("%-10s  not supported here" % k)
        continue
    print("%-10s  system CPU %s us/record   p50 %s ms   p99 %s ms   voluntary switches %s/record" % (
        k, " ".join("%4.0f" % r[0] for r in rs), " ".join("%.3f" % r[1] for r in rs),
        " ".join("%.2f" % r[2] for r in rs), " ".join("%.1f" % r[3] for r in rs)))
