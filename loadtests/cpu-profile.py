"""Reads `perf script` output (call stacks) on stdin; prints the share of samples by what the innermost recognisable
frame was doing. The first rule that matches a frame, walking from the leaf outwards, names the sample."""
import collections
import sys

RULES = [  # (substring of a frame, category)
    ("sched_yield", "spinning (sched_yield)"), ("futex", "sleeping/waking (futex)"), ("epoll_wait", "epoll_wait"),
    ("sendto", "socket send"), ("__send", "socket send"), ("writev", "socket send"),
    ("recvfrom", "socket receive"), ("__libc_recv", "socket receive"), ("__libc_read", "read"), ("sys_read", "read"),
    ("sqlite3", "SQLite"), ("pwrite", "SQLite"), ("fdatasync", "fsync"), ("fsync", "fsync"),
    ("OpenTelemetry", "metrics (OpenTelemetry)"), ("Kestrel", "Kestrel"), ("System.Net.Http", "HttpClient"),
    ("Grpc", "gRPC"), ("GRump", "GRump code"), ("System.Net.Sockets", "sockets (managed)"),
    ("System.Text.Json", "System.Text.Json"), ("Polly", "Polly"), ("ThreadPool", "thread pool"),
    ("LowLevelLifo", "thread pool"),
]


def samples(lines):
    stack = []
    for line in lines:
        if not line.strip():
            if stack:
                yield stack
            stack = []
        elif line[0] in " \t":
            parts = line.strip().split(None, 1)
            stack.append(parts[-1])
        else:
            stack = []
    if stack:
        yield stack


def category(stack):
    for frame in stack:
        for key, name in RULES:
            if key in frame:
                return name
    return "other (runtime, GC, kernel)"


counts = collections.Counter(category(s) for s in samples(sys.stdin))
total = sum(counts.values())
print(f"{total} samples")
for name, n in counts.most_common():
    print(f"{100 * n / total:5.1f} %  {name}")
