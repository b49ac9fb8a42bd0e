"""Times CPython's tracemalloc Snapshot.dump and Snapshot.load (pickle) on
the data the Node bench generated (see bench/format.ts).

Builds the snapshot as cpython_snapshot.py does (raw traces sharing their
frame tuples, as _tracemalloc interns them), dumps it to DIR and loads it
back, best of RUNS each, and prints timings, the file size and a digest of
the loaded snapshot as JSON on stdout.

Usage: python3 cpython_dump.py DATA.json DIR RUNS
"""
import json
import os
import sys
import time
import tracemalloc

from cpython_snapshot import build, digest


def best(runs, fn):
    least, result = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        least = min(least, time.perf_counter() - t0)
    return least, result


def main():
    data = json.load(open(sys.argv[1]))
    path = os.path.join(sys.argv[2], "cpython.pickle")
    runs = int(sys.argv[3])
    snap = build(data)
    del data
    dump_s, _ = best(runs, lambda: snap.dump(path))
    load_s, loaded = best(runs, lambda: tracemalloc.Snapshot.load(path))
    report = {
        "python": sys.version.split()[0],
        "dump_s": dump_s,
        "load_s": load_s,
        "bytes": os.path.getsize(path),
        "traces": len(loaded.traces),
        "rows": digest(loaded.statistics("lineno")),
    }
    os.remove(path)
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
