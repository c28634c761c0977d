#!/usr/bin/env python3
"""bench/fsync-probe.py: how long an fsync takes on a disk, alone or while the agent writes.

    bench/fsync-probe.py [SECONDS] [FILE]     # defaults: 30 s, a file in $TMPDIR (or /tmp)

Writes 4 KiB and calls fdatasync every 5 ms on FILE (removed at the end), prints each call over
100 ms as it happens (time of day and duration), then p50, p99, p99.9 and the maximum. Run it next
to bench/ingest.sh on the data dir's disk: when its stalls come at the same moments as the agent's
slow-commit warnings, the disk is the limit, not the agent.
"""
import os
import sys
import tempfile
import time

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(tempfile.gettempdir(), "fsync-probe.%d" % os.getpid())
fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
block = b"x" * 4096
latencies = []
end = time.monotonic() + seconds
i = 0
try:
    while time.monotonic() < end:
        t = time.perf_counter()
        os.pwrite(fd, block, (i % 1000) * 4096)
        os.fdatasync(fd)
        ms = (time.perf_counter() - t) * 1000
        latencies.append(ms)
        i += 1
        if ms > 100:
            print("%s fsync %.0f ms" % (time.strftime("%H:%M:%S"), ms), flush=True)
        time.sleep(0.005)
finally:
    os.close(fd)
    os.unlink(path)
latencies.sort()
n = len(latencies)
print("%s fsync probe: n=%d p50=%.2f p99=%.2f p99.9=%.2f max=%.2f ms; over 100 ms: %d" % (
    time.strftime("%H:%M:%S"), n, latencies[n // 2], latencies[int(n * 0.99)], latencies[int(n * 0.999)],
    latencies[-1], sum(1 for x in latencies if x > 100)))
