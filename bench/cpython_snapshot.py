"""Times CPython's tracemalloc.Snapshot on the data the Node bench generated.

Reads the JSON written by bench/snapshot.ts (tables plus trace columns),
builds raw traces that share their frame tuples (as _tracemalloc interns
them), runs each operation, and prints timings and a digest of the top rows
as JSON on stdout.
"""
import json
import sys
import time
import tracemalloc


def build(data):
    strings = data["strings"]
    frames = data["frames"]
    frame_tuples = [(strings[frames[4 * i]], frames[4 * i + 1]) for i in range(len(frames) // 4)]
    seq_ends = data["seqEnds"]
    seq_frames = data["seqFrames"]
    seqs, start = [], 0
    for end in seq_ends:
        seqs.append(tuple(frame_tuples[f] for f in seq_frames[start:end]))
        start = end
    tbs = data["tracebacks"]
    tb_pairs = [(seqs[tbs[2 * i]], tbs[2 * i + 1]) for i in range(len(tbs) // 2)]
    traces = []
    for d, s, t in zip(data["domain"], data["size"], data["traceback"]):
        frames_t, total = tb_pairs[t]
        traces.append((d, s, frames_t, total))
    return tracemalloc.Snapshot(traces, data["tracebackLimit"])


def digest(rows, diff=False):
    out = []
    for r in rows[:5]:
        item = [str(r.traceback), r.size, r.count]
        if diff:
            item += [r.size_diff, r.count_diff]
        out.append(item)
    return out


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def main():
    new_data = json.load(open(sys.argv[1]))
    old_data = json.load(open(sys.argv[2]))
    filters_spec = json.loads(sys.argv[3])
    build_s, new = timed(lambda: build(new_data))
    old = build(old_data)
    filters = [tracemalloc.Filter(f["inclusive"], f["pattern"], f.get("lineno"), f.get("allFrames", False))
               for f in filters_spec]
    ops = {
        "statistics('lineno')": lambda: new.statistics("lineno"),
        "statistics('traceback')": lambda: new.statistics("traceback"),
        "statistics('lineno', cumulative)": lambda: new.statistics("lineno", True),
        "statistics('filename')": lambda: new.statistics("filename"),
        "compareTo(old, 'lineno')": lambda: new.compare_to(old, "lineno"),
        "compareTo(old, 'traceback')": lambda: new.compare_to(old, "traceback"),
        "filterTraces(filters)": lambda: new.filter_traces(filters),
    }
    report = {"python": sys.version.split()[0], "build_s": build_s, "ops": {}}
    for name, fn in ops.items():
        secs, result = timed(fn)
        if name.startswith("filterTraces"):
            rows = len(result.traces)
        else:
            rows = digest(result, name.startswith("compareTo"))
        report["ops"][name] = {"seconds": secs, "rows": rows}
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
