/**
 * Native file format benchmark: the same ~1.4M traces (the data of
 * bench/snapshot.ts) dumped and loaded by CPython 3's `Snapshot.dump/load`
 * (pickle) and by ours, in the same run, with the file sizes and ratios.
 * Not part of the test suite.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { Snapshot, type SnapshotColumns } from '../index'
import { best, LIMIT, printTable, rng, tables, toJson, traces, TRACES } from './snapshot'

const RUNS = 5
const PY_RUNS = 3

/** Best wall time of `runs` runs of an async function, in seconds. */
async function bestAsync<T>(runs: number, fn: () => Promise<T>): Promise<[number, T]> {
  let min = Infinity
  let result!: T
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint()
    result = await fn()
    min = Math.min(min, Number(process.hrtime.bigint() - t0) / 1e9)
  }
  return [min, result]
}

const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`
const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`
const digest = (s: Snapshot) =>
  s.statistics('lineno').slice(0, 5).map((r) => [String(r.traceback), r.size, r.count])

/** V8's sample count for an object of `size` bytes at a 32 KiB interval: the weight a sampled trace carries. */
function weights(c: SnapshotColumns): Float64Array {
  return Float64Array.from(c.size, (s) => Math.floor(1 / (1 - Math.exp(-s / 32768)) + 0.5))
}

export async function runFormatBench(): Promise<void> {
  const cols = traces(tables(rng(1)), TRACES, 2)
  const dir = mkdtempSync(join(tmpdir(), 'tracemalloc-bench-format-'))
  try {
    console.log(`Native format: ${TRACES} traces, 3000 files, 60000 frames, 50000 tracebacks 1-10 deep`)
    writeFileSync(join(dir, 'data.json'), toJson(cols))
    const py = spawnSync('python3', [join(__dirname, 'cpython_dump.py'), join(dir, 'data.json'), dir, String(PY_RUNS)], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    })
    if (py.status !== 0) throw new Error(`python3 failed: ${py.stderr}`)
    const cpython = JSON.parse(py.stdout)
    rmSync(join(dir, 'data.json'))

    const snap = Snapshot.fromColumns(cols, LIMIT)
    const path = join(dir, 'snap.tmsnap')
    const [dump] = best(RUNS, () => snap.dump(path))
    const bytes = statSync(path).size
    const [load, loaded] = best(RUNS, () => Snapshot.load(path))
    const [dumpAsync] = await bestAsync(RUNS, () => snap.dumpAsync(path))
    const [loadAsync] = await bestAsync(RUNS, () => Snapshot.loadAsync(path))
    const [toBuffer, buffer] = best(RUNS, () => snap.toBuffer())
    const [fromBuffer] = best(RUNS, () => Snapshot.fromBuffer(buffer))
    const same =
      loaded.traces.length === cpython.traces &&
      JSON.stringify(digest(loaded)) === JSON.stringify(cpython.rows) &&
      JSON.stringify(digest(loaded)) === JSON.stringify(digest(snap))

    const weighted = Snapshot.fromColumns({ ...cols, weight: weights(cols) }, LIMIT)
    const wpath = join(dir, 'weighted.tmsnap')
    const [wdump] = best(RUNS, () => weighted.dump(wpath))
    const [wload] = best(RUNS, () => Snapshot.load(wpath))

    const py2 = cpython.dump_s + cpython.load_s
    const rows = [
      ['operation', `CPython ${cpython.python} (pickle)`, 'tracemalloc (Node)', 'ratio'],
      ['dump (ours: atomic, fsync)', ms(cpython.dump_s), ms(dump), `${(cpython.dump_s / dump).toFixed(1)}x faster`],
      ['load', ms(cpython.load_s), ms(load), `${(cpython.load_s / load).toFixed(1)}x faster`],
      ['dump + load', ms(py2), ms(dump + load), `${(py2 / (dump + load)).toFixed(1)}x faster (target >= 20x)`],
      ['file size', mb(cpython.bytes), mb(bytes), `${((bytes / cpython.bytes) * 100).toFixed(1)}% (target <= 33%)`],
      ['dumpAsync / loadAsync', '-', `${ms(dumpAsync)} / ${ms(loadAsync)}`, '-'],
      ['toBuffer / fromBuffer', '-', `${ms(toBuffer)} / ${ms(fromBuffer)}`, '-'],
      ['same traces with sampling weights: dump / load / size', '-', `${ms(wdump)} / ${ms(wload)} / ${mb(statSync(wpath).size)}`, '-'],
    ]
    printTable(rows)
    console.log(`\nLoaded snapshot equal to CPython's (trace count, top statistics('lineno')): ${same ? 'yes' : 'NO'}`)
    console.log(`Best of ${RUNS} runs (CPython: best of ${PY_RUNS}); files in ${tmpdir()}.`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
