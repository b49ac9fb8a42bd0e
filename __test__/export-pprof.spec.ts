/**
 * pprof export read by the real `go tool pprof` (Go is on every machine of
 * this project and in CI; its first run builds pprof, ~25 s): the top table
 * must list the same sites with the same bytes and objects as our
 * `statistics('lineno')`, for a live capture and for a synthetic snapshot,
 * and the raw dump must show columns, start lines and the sampling period.
 */
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import * as tm from '../index'
import { Snapshot, type SnapshotColumns } from '../index'

const dir = mkdtempSync(join(tmpdir(), 'tracemalloc-pprof-'))
test.after.always(() => rmSync(dir, { recursive: true, force: true }))

/** The `go` binary: on PATH, or where Go's installer puts it. */
function findGo(): string | null {
  for (const d of [...(process.env.PATH ?? '').split(':'), '/usr/local/go/bin']) {
    if (d && existsSync(join(d, 'go'))) return join(d, 'go')
  }
  return null
}
const go = findGo()

function pprof(args: string[]): string {
  if (go === null) throw new Error('go not found on PATH nor in /usr/local/go/bin: the pprof tests need Go')
  return execFileSync(go, ['tool', 'pprof', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 170_000,
    maxBuffer: 64 << 20,
  })
}

interface Row {
  flat: number
  cum: number
  label: string
}

/** `go tool pprof -top -nodefraction=0 -lines`, exact units, parsed. */
function top(file: string, sampleIndex: 'inuse_space' | 'inuse_objects'): Row[] {
  const text = pprof(['-top', '-nodefraction=0', '-unit=B', '-lines', `-sample_index=${sampleIndex}`, file])
  const rows: Row[] = []
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)B?\s+[\d.]+%\s+[\d.]+%\s+(\d+)B?\s+[\d.]+%\s+(.+)$/.exec(line)
    if (m) rows.push({ flat: Number(m[1]), cum: Number(m[2]), label: m[3]! })
  }
  if (rows.length === 0) throw new Error(`no rows in pprof's output:\n${text}`)
  return rows
}

/**
 * What pprof's `-lines` table should show for a snapshot: our lineno
 * statistics keyed as pprof labels them (`function file:line`; frames of
 * one function line that differ only by column merge there).
 */
function expected(snap: Snapshot, what: 'size' | 'count'): Map<string, number> {
  const m = new Map<string, number>()
  for (const s of snap.statistics('lineno')) {
    if (s.traceback.length === 0) continue
    const f = s.traceback.at(0)
    const where = f.lineno > 0 ? `${f.filename}:${f.lineno}` : f.filename
    const name = f.functionName === null ? where : f.functionName || '(anonymous)'
    const key = `${name} ${where}`
    m.set(key, (m.get(key) ?? 0) + s[what])
  }
  return m
}

function flatTable(rows: Row[]): Map<string, number> {
  const m = new Map<string, number>()
  for (const r of rows) if (r.flat > 0) m.set(r.label, (m.get(r.label) ?? 0) + r.flat)
  return m
}

function checkAgainstStatistics(t: import('ava').ExecutionContext, snap: Snapshot, file: string): void {
  const space = top(file, 'inuse_space')
  const objects = top(file, 'inuse_objects')
  const wantSize = expected(snap, 'size')
  const wantCount = expected(snap, 'count')
  // Every site, with exactly its bytes and objects (V8's weights are whole
  // counts, so no rounding is involved; fractional estimates are covered by
  // the Rust tests).
  const gotSize = flatTable(space)
  const sites = [...wantSize].filter(([, v]) => v > 0)
  t.deepEqual([...gotSize].sort(), sites.sort())
  t.deepEqual([...flatTable(objects)].sort(), [...wantCount].filter(([, v]) => v > 0).sort())
  // The top sites, in order.
  const stats = snap.statistics('lineno').filter((s) => s.traceback.length > 0)
  const topStats = [...wantSize].sort((a, b) => b[1] - a[1]).slice(0, 3)
  t.deepEqual(
    space.filter((r) => r.flat > 0).slice(0, 3).map((r) => [r.label, r.flat]),
    topStats,
  )
  t.true(stats.length > 0)
}

test.serial('go tool pprof shows the same top sites and sizes as statistics, on a live capture', (t) => {
  const alloc = require('./fixtures/export/alloc') as {
    keep: unknown[]
    bigArrays(n: number, elements: number): void
    manyStrings(n: number): void
  }
  tm.start(6)
  alloc.bigArrays(24, 50000)
  alloc.manyStrings(40000)
  const snap = tm.takeSnapshot()
  tm.stop()
  alloc.keep.length = 0
  const file = join(dir, 'live.pb.gz')
  snap.export(file, 'pprof')
  checkAgainstStatistics(t, snap, file)
  const first = top(file, 'inuse_space').filter((r) => r.flat > 0)[0]!
  t.regex(first.label, /^bigArrays .*alloc\.js:8$/, 'the largest site is bigArrays (line 8)')
  // Columns, start lines and the sampling period, as pprof reads them.
  const raw = pprof(['-raw', file])
  t.regex(raw, /PeriodType: space bytes/)
  t.regex(raw, /Period: 32768\b/)
  t.regex(raw, /bigArrays \S*alloc\.js:8:19 s=8/)
  t.regex(raw, /inuse_objects\/count inuse_space\/bytes\[dflt\]/)
})

/** A synthetic snapshot: 400 functions over 40 files, 3,000 tracebacks, two domains, weighted by whole counts as V8's are. */
function synthetic(): Snapshot {
  let seed = 7
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
  const strings: string[] = []
  for (let i = 0; i < 40; i++) strings.push(`/srv/app/src/file${i}.js`)
  for (let i = 0; i < 400; i++) strings.push(i % 37 === 0 ? '' : `fn${i}`)
  strings.push('/srv/app/legacy.py')
  const frames: number[] = []
  for (let i = 0; i < 400; i++) frames.push(i % 40, 1 + ((i * 7) % 300), 1 + (i % 11), 40 + i)
  frames.push(strings.length - 1, 12, 0, 0xffffffff) // a frame without a function
  const seqFrames: number[] = []
  const seqEnds: number[] = []
  const tracebacks: number[] = []
  for (let s = 0; s < 3000; s++) {
    const depth = 1 + Math.floor(rnd() * 8)
    for (let d = 0; d < depth; d++) seqFrames.push(s % 97 === 0 && d === 0 ? 400 : Math.floor(rnd() * 400))
    seqEnds.push(seqFrames.length)
    tracebacks.push(s, depth)
  }
  const n = 60_000
  const cols: SnapshotColumns = {
    strings,
    frames: Uint32Array.from(frames),
    seqEnds: Uint32Array.from(seqEnds),
    seqFrames: Uint32Array.from(seqFrames),
    tracebacks: Uint32Array.from(tracebacks),
    domain: Uint32Array.from({ length: n }, () => (rnd() < 0.1 ? 2 : 0)),
    size: Float64Array.from({ length: n }, () => 8 * Math.round(2 + 500 * rnd() ** 4)),
    traceback: Uint32Array.from({ length: n }, () => Math.floor(3000 * rnd() ** 2)),
    weight: Float64Array.from({ length: n }, () => 1 + Math.floor(rnd() * 12)),
  }
  return Snapshot.fromColumns(cols, 8)
}

test.serial('go tool pprof shows the same sites and sizes as statistics, on a synthetic weighted snapshot', (t) => {
  const snap = synthetic()
  const file = join(dir, 'synthetic.pb.gz')
  snap.export(file, 'pprof', { title: 'synthetic' })
  checkAgainstStatistics(t, snap, file)
  const total = snap.statistics('filename').reduce((a, s) => a + s.size, 0)
  const rows = top(file, 'inuse_space')
  t.is(rows.reduce((a, r) => a + r.flat, 0), total, 'flat sums to the estimated total')
  const raw = pprof(['-raw', file])
  t.regex(raw, /Comment: synthetic/)
  t.regex(raw, /Period: 1\b/, 'a snapshot built from data has period 1')
  t.regex(raw, /\/srv\/app\/legacy\.py:12 \/srv\/app\/legacy\.py:12(:0)? s=12/, 'frames without a function are named by file:line')
  t.regex(raw, /\(anonymous\) /)
})
