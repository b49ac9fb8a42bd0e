/**
 * Snapshot engine benchmark: the same ~1.4M traces go to CPython's
 * `tracemalloc.Snapshot` and to ours, in the same run, and each operation's
 * time is printed for both with the ratio. Not part of the test suite.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { Filter, Snapshot, type SnapshotColumns } from '../index'

const NONE = 0xffffffff
const TRACES = Number(process.env.BENCH_TRACES ?? 1_400_000)
const OLD_TRACES = Math.round(TRACES * 0.85)
const LIMIT = 10

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Shared tables: 3,000 files, 60,000 frames, 50,000 tracebacks 1-10 frames deep. */
export function tables(r: () => number) {
  const strings: string[] = []
  for (let i = 0; i < 3000; i++) {
    const pkg = i % 5 === 0 ? `node_modules/pkg${i % 97}/lib` : `src/module${i % 211}`
    strings.push(`/srv/app/${pkg}/file${i}.js`)
  }
  const frames = new Uint32Array(60_000 * 4)
  for (let i = 0; i < 60_000; i++) {
    frames.set([Math.floor(r() * 3000), 1 + Math.floor(r() * 2000), 0, NONE], 4 * i)
  }
  const seqEnds = new Uint32Array(50_000)
  const seqFrames: number[] = []
  for (let s = 0; s < 50_000; s++) {
    const depth = 1 + Math.floor(r() * 10)
    for (let d = 0; d < depth; d++) seqFrames.push(Math.floor(r() * 60_000))
    seqEnds[s] = seqFrames.length
  }
  const tracebacks = new Uint32Array(50_000 * 2)
  for (let s = 0; s < 50_000; s++) {
    const depth = seqEnds[s]! - (s === 0 ? 0 : seqEnds[s - 1]!)
    tracebacks[2 * s] = s
    tracebacks[2 * s + 1] = depth === LIMIT && r() < 0.5 ? LIMIT + Math.floor(r() * 20) : depth
  }
  return { strings, frames, seqEnds, seqFrames: Uint32Array.from(seqFrames), tracebacks }
}

/** Trace columns: skewed choice of traceback (a few hot sites), log-uniform sizes. */
export function traces(t: ReturnType<typeof tables>, n: number, seed: number): SnapshotColumns {
  const r = rng(seed)
  const domain = new Uint32Array(n)
  const size = new Float64Array(n)
  const traceback = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    domain[i] = r() < 0.05 ? 1 + Math.floor(r() * 4) : 0
    size[i] = Math.round(16 * Math.pow(4096, r()))
    traceback[i] = Math.floor(50_000 * Math.pow(r(), 3))
  }
  return { ...t, domain, size, traceback }
}

function toJson(c: SnapshotColumns): string {
  const plain = Object.fromEntries(
    Object.entries(c).map(([k, v]) => [k, ArrayBuffer.isView(v) ? Array.from(v as Uint32Array) : v]),
  )
  return JSON.stringify({ ...plain, tracebackLimit: LIMIT })
}

/** Best wall time of `runs` runs, in seconds, and the last result. */
function best<T>(runs: number, fn: () => T): [number, T] {
  let min = Infinity
  let result!: T
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint()
    result = fn()
    min = Math.min(min, Number(process.hrtime.bigint() - t0) / 1e9)
  }
  return [min, result]
}

const FILTERS = [
  { inclusive: false, pattern: '*/node_modules/*' },
  { inclusive: true, pattern: '/srv/app/src/module1*' },
  { inclusive: true, pattern: '*/file2?.js', allFrames: true },
]

export function runSnapshotBench(): void {
  const t = tables(rng(1))
  const newCols = traces(t, TRACES, 2)
  const oldCols = traces(t, OLD_TRACES, 3)
  const dir = mkdtempSync(join(tmpdir(), 'tracemalloc-bench-'))
  try {
    writeFileSync(join(dir, 'new.json'), toJson(newCols))
    writeFileSync(join(dir, 'old.json'), toJson(oldCols))
    console.log(`Snapshot engine: ${TRACES} traces (old: ${OLD_TRACES}), 3000 files, 60000 frames, 50000 tracebacks 1-10 deep`)
    const py = spawnSync('python3', [join(__dirname, 'cpython_snapshot.py'), join(dir, 'new.json'), join(dir, 'old.json'), JSON.stringify(FILTERS)], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    })
    if (py.status !== 0) throw new Error(`python3 failed: ${py.stderr}`)
    const cpython = JSON.parse(py.stdout)

    const [buildCols, snap] = best(3, () => Snapshot.fromColumns(newCols, LIMIT))
    const old = Snapshot.fromColumns(oldCols, LIMIT)
    // The same old traces with the string table in another order: ids differ,
    // so compareTo must match groups by content instead of by id.
    const n = t.strings.length
    const shuffledFrames = t.frames.slice()
    for (let i = 0; i < shuffledFrames.length; i += 4) shuffledFrames[i] = n - 1 - shuffledFrames[i]!
    const oldShuffled = Snapshot.fromColumns({ ...oldCols, strings: t.strings.slice().reverse(), frames: shuffledFrames }, LIMIT)
    const filters = FILTERS.map((f) => new Filter(f.inclusive, f.pattern, null, f.allFrames ?? false))
    const digest = (rows: any[], diff = false) =>
      rows.slice(0, 5).map((r) => (diff ? [String(r.traceback), r.size, r.count, r.sizeDiff, r.countDiff] : [String(r.traceback), r.size, r.count]))
    const ops: Record<string, () => unknown> = {
      "statistics('lineno')": () => digest(snap.statistics('lineno')),
      "statistics('traceback')": () => digest(snap.statistics('traceback')),
      "statistics('lineno', cumulative)": () => digest(snap.statistics('lineno', true)),
      "statistics('filename')": () => digest(snap.statistics('filename')),
      "compareTo(old, 'lineno')": () => digest(snap.compareTo(old, 'lineno'), true),
      "compareTo(old, 'traceback')": () => digest(snap.compareTo(old, 'traceback'), true),
      "compareTo(old, 'traceback'), old tables in another order": () => digest(snap.compareTo(oldShuffled, 'traceback'), true),
      'filterTraces(filters)': () => snap.filterTraces(filters).traces.length,
    }
    const rows: string[][] = [['operation', `CPython ${cpython.python}`, 'tracemalloc (Node)', 'speed-up', 'same result']]
    for (const [name, fn] of Object.entries(ops)) {
      const [secs, result] = best(5, fn)
      const theirs = cpython.ops[name.replace(', old tables in another order', '')]
      rows.push([
        name,
        `${(theirs.seconds * 1000).toFixed(0)} ms`,
        `${(secs * 1000).toFixed(1)} ms`,
        `${(theirs.seconds / secs).toFixed(0)}x`,
        JSON.stringify(result) === JSON.stringify(theirs.rows) ? 'yes' : 'NO',
      ])
    }
    const [buildRaw] = best(1, () => {
      const raw: [number, number, [string, number][], number][] = []
      const seqs: [string, number][][] = []
      for (let s = 0; s < t.seqEnds.length; s++) {
        const start = s === 0 ? 0 : t.seqEnds[s - 1]!
        const fr: [string, number][] = []
        for (let i = start; i < t.seqEnds[s]!; i++) {
          const f = t.seqFrames[i]!
          fr.push([t.strings[t.frames[4 * f]!]!, t.frames[4 * f + 1]!])
        }
        seqs.push(fr)
      }
      for (let i = 0; i < TRACES; i++) {
        const tb = newCols.traceback[i]!
        raw.push([newCols.domain[i]!, newCols.size[i]!, seqs[t.tracebacks[2 * tb]!]!, t.tracebacks[2 * tb + 1]!])
      }
      return new Snapshot(raw, LIMIT)
    })
    rows.push(['build from columns (Snapshot.fromColumns)', '-', `${(buildCols * 1000).toFixed(1)} ms`, '-', '-'])
    rows.push(['build from raw traces (new Snapshot), incl. making the arrays', `${(cpython.build_s * 1000).toFixed(0)} ms (tuples)`, `${(buildRaw * 1000).toFixed(0)} ms`, '-', '-'])
    printTable(rows)
    const mem = snap.memoryUsage()
    console.log(`\nEngine memory: ${(mem.columns / TRACES).toFixed(1)} bytes per trace in columns; tables ${(mem.tables / 1048576).toFixed(1)} MiB shared (${((mem.columns + mem.tables) / TRACES).toFixed(1)} bytes per trace in all)`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Prints rows as a Markdown table. */
export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  const line = (r: string[]) => `| ${r.map((v, c) => v.padEnd(widths[c]!)).join(' | ')} |`
  console.log(line(rows[0]!))
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`)
  for (const r of rows.slice(1)) console.log(line(r))
}
