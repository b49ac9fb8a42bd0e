"""CPython's tracemalloc overhead on the churn loop of capture-workload.js:
8M iterations over ten small-object sites, a quarter kept. Prints JSON timings."""
import json
import sys
import time
import tracemalloc


SITES = [
    lambda i: {"x": i},
    lambda i: {"x": i, "y": i},
    lambda i: [i, i + 1],
    lambda i: {"a": i, "b": [i]},
    lambda i: {"p": {"q": i}},
    lambda i: [i, i, i, i],
    lambda i: {"s": f"k{i}"},
    lambda i: {"a": i, "b": i, "c": i, "d": i},
    lambda i: [{"i": i}],
    lambda i: {"m": {}},
]


def churn():
    keep = []
    for i in range(8_000_000):
        o = SITES[i % 10](i)
        if i % 4 == 0:
            keep.append(o)
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
