"""CPython's tracemalloc overhead on the churn loop of capture-workload.js:
1M iterations, 3 small objects each, 10% kept. Prints JSON timings."""
import json
import sys
import time
import tracemalloc


def churn():
    keep = []
    for i in range(1_000_000):
        point = {"x": i, "y": i * 2}
        pair = [point, i]
        label = {"name": "p", "pair": pair}
        if i % 10 == 0:
            keep.append(label)
    return keep


def timed(nframe):
    if nframe:
        tracemalloc.start(nframe)
    t0 = time.perf_counter()
    churn()
    dt = time.perf_counter() - t0
    if nframe:
        tracemalloc.stop()
    return dt


runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
out = {"python": sys.version.split()[0]}
for nframe in (0, 1, 10):
    out[str(nframe)] = sorted(timed(nframe) for _ in range(runs))[runs // 2]
json.dump(out, sys.stdout)
