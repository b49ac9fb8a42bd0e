/**
 * The `tracemalloc` command on real files: `top`, `compare`, `info`,
 * `convert` and `flamegraph` on a snapshot written by `tracemalloc run -o`,
 * a `node --heap-prof` profile and a `v8.writeHeapSnapshot` file, checked
 * against what the API computes from the same files.
 */
import test from 'ava'
import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'

import { EXPORT_FORMATS, Filter, Snapshot, type KeyType } from '../index'
import { grow, makeInputFiles, scratchDir, tm, tmJson, type InputFiles } from './cli-harness'

const source = readFileSync(grow, 'utf8').split('\n')

const dir = scratchDir()
let files: InputFiles
test.before(async () => {
  files = await makeInputFiles(dir)
})

/** Rows as the API gives them, in the CLI's JSON shape (key, size, count). */
function apiRows(snap: Snapshot, keyType: KeyType, cumulative = false): { key: string; size: number; count: number }[] {
  return snap.statistics(keyType, cumulative).map((s) => ({ key: String(s.traceback), size: s.size, count: s.count }))
}

const pick = (rows: { key: string; size: number; count: number }[]) => rows.map(({ key, size, count }) => ({ key, size, count }))

test('top FILE --json gives the API statistics of a snapshot written by run -o, biggest first, with its site', async (t) => {
  const out = await tmJson(['top', files.native, '--limit', '0'])
  const snap = Snapshot.load(files.native)
  t.is(out.kind, 'tracemalloc')
  t.deepEqual(pick(out.rows), apiRows(snap, 'lineno'))
  t.is(out.total.size, snap.statistics('filename').reduce((a, s) => a + s.size, 0))
  // makeRow(), or addRows() once V8 has inlined makeRow() into it.
  t.true(out.rows.some((r: { key: string }) => r.key.startsWith(`${grow}:`)), `no row in ${grow}`)
  for (let i = 1; i < out.rows.length; i++) t.true(out.rows[i - 1].size >= out.rows[i].size)
})

test('top prints text rows on stdout, --limit caps them, and --opt=value equals --opt value', async (t) => {
  const [a, b] = await Promise.all([tm(['top', '--limit=2', files.native]), tm(['top', '--limit', '2', files.native])])
  t.is(a.status, 0, a.stderr)
  t.is(a.stdout, b.stdout)
  const rows = a.stdout.split('\n').filter((l) => /: size=.*, count=/.test(l))
  t.is(rows.length, 2)
  const api = Snapshot.load(files.native).statistics('lineno')
  t.true(rows[0]!.startsWith(`${String(api[0]!.traceback)}: `), rows[0])
  t.regex(a.stdout, /^Total: /m)
})

for (const keyType of ['filename', 'function', 'lineno'] as const) {
  test(`top --key-type ${keyType} and --cumulative match the API`, async (t) => {
    const snap = Snapshot.load(files.native)
    const [plain, cumulative] = await Promise.all([
      tmJson(['top', '--key-type', keyType, '--limit', '0', files.native]),
      tmJson(['top', '--key-type', keyType, '--cumulative', '--limit', '0', files.native]),
    ])
    t.deepEqual(pick(plain.rows), apiRows(snap, keyType))
    t.deepEqual(pick(cumulative.rows), apiRows(snap, keyType, true))
    t.true(cumulative.cumulative)
  })
}

test('top --key-type traceback prints each whole traceback, most recent frame first, with source lines', async (t) => {
  const r = await tm(['top', '--key-type', 'traceback', '--limit', '0', files.native])
  t.is(r.status, 0, r.stderr)
  const snap = Snapshot.load(files.native)
  const stats = snap.statistics('traceback')
  // A row of grow.js's growth: makeRow() or addRows() (which V8 may inline
  // makeRow() into), under the timer that calls it: several frames.
  const deep = stats.find((s) => s.traceback.length >= 2 && s.traceback.at(s.traceback.length - 1).filename === grow)
  t.truthy(deep, 'no multi-frame traceback in grow.js')
  const expected = deep!.traceback.format(null, true)
  t.true(r.stdout.includes(`${String(deep)}\n${expected.join('\n')}\n`), r.stdout)
  // Most recent first, each frame with its source line (grow.js is readable).
  const recent = deep!.traceback.at(deep!.traceback.length - 1)
  t.true(expected[0]!.startsWith(`  File "${grow}", line ${recent.lineno}`), expected[0])
  t.is(expected[1], `    ${source[recent.lineno - 1]!.trim()}`)
  t.is(expected.filter((l) => l.startsWith('  File ')).length, deep!.traceback.length)
  // --json: the frames, most recent first.
  const out = await tmJson(['top', '--key-type', 'traceback', '--limit', '0', files.native])
  const row = out.rows.find((x: { key: string; size: number }) => x.key === String(deep!.traceback) && x.size === deep!.size)
  t.deepEqual(
    row.frames.map((f: { filename: string; lineno: number }) => [f.filename, f.lineno]),
    deep!.traceback.slice().reverse().map((f) => [f.filename, f.lineno]),
  )
})

test('top --cumulative with --key-type traceback is a usage error (exit 2)', async (t) => {
  const r = await tm(['top', '--key-type', 'traceback', '--cumulative', files.native])
  t.is(r.status, 2)
  t.regex(r.stderr, /--cumulative/)
})

test('top --include/--exclude are CPython filters on file names, --domain keeps one address space', async (t) => {
  const snap = Snapshot.load(files.native)
  const glob = `*${basename(grow)}`
  const [inc, exc, dom0, dom7, both] = await Promise.all([
    tmJson(['top', '--include', glob, '--limit', '0', files.native]),
    tmJson(['top', `--exclude=${glob}`, '--limit', '0', files.native]),
    tmJson(['top', '--domain', '0', '--limit', '0', files.native]),
    tmJson(['top', '--domain', '7', '--limit', '0', files.native]),
    tmJson(['top', '--include', glob, '--include', 'node:*', '--limit', '0', files.native]),
  ])
  t.deepEqual(pick(inc.rows), apiRows(snap.filterTraces([new Filter(true, glob)]), 'lineno'))
  t.true(inc.rows.length > 0)
  t.true(inc.rows.every((r: { key: string }) => r.key.startsWith(grow)))
  t.false(exc.rows.some((r: { key: string }) => r.key.startsWith(grow)))
  t.deepEqual(pick(dom0.rows), apiRows(snap, 'lineno'))
  t.is(dom7.rows.length, 0)
  t.deepEqual(pick(both.rows), apiRows(snap.filterTraces([new Filter(true, glob), new Filter(true, 'node:*')]), 'lineno'))
})

test('top and info read a real node --heap-prof profile, recognised by content even without its extension', async (t) => {
  const plain = join(dir, 'profile-without-extension')
  copyFileSync(files.heapprofile, plain)
  const snap = Snapshot.fromHeapProfile(files.heapprofile)
  for (const file of [files.heapprofile, plain]) {
    const out = await tmJson(['top', '--limit', '0', file])
    t.is(out.kind, 'heapprofile')
    t.deepEqual(pick(out.rows), apiRows(snap, 'lineno'))
  }
  const info = await tmJson(['info', plain])
  t.is(info.kind, 'heapprofile')
  t.is(info.captureInfo.origin, 'heapprofile')
  t.true(info.total.traces > 0)
})

test('top and info read a real v8.writeHeapSnapshot file, recognised by content', async (t) => {
  const plain = join(dir, 'heap.json')
  copyFileSync(files.heapsnapshot, plain)
  const snap = Snapshot.fromHeapSnapshot(files.heapsnapshot)
  const [top, info] = await Promise.all([tmJson(['top', '--limit', '5', plain]), tmJson(['info', files.heapsnapshot])])
  t.is(top.kind, 'heapsnapshot')
  t.deepEqual(pick(top.rows), apiRows(snap, 'lineno').slice(0, 5))
  t.is(info.kind, 'heapsnapshot')
  t.is(info.total.traces, snap.traces.length)
  t.is(info.fileBytes, statSync(files.heapsnapshot).size)
})

test('info gives the metadata and totals of a snapshot written by run -o', async (t) => {
  const snap = Snapshot.load(files.native)
  const out = await tmJson(['info', files.native])
  t.is(out.kind, 'tracemalloc')
  t.deepEqual(out.captureInfo, snap.captureInfo)
  t.is(out.captureInfo.mode, 'sampled')
  t.is(out.tracebackLimit, 16)
  t.is(out.total.traces, snap.traces.length)
  t.is(out.total.size, snap.statistics('filename').reduce((a, s) => a + s.size, 0))
  t.is(out.total.sites, snap.statistics('lineno').length)
  const text = await tm(['info', files.native])
  t.is(text.status, 0)
  t.regex(text.stdout, /mode: +sampled/)
  t.regex(text.stdout, /traceback limit: 16/)
})

test('compare OLD NEW matches compareTo, and --fail-over is a check (exit 1 over, 0 under)', async (t) => {
  // Old: the heap snapshot's import; new: the run's snapshot. Different
  // sources, a real diff either way.
  const older = Snapshot.fromHeapProfile(files.heapprofile)
  const newer = Snapshot.load(files.native)
  const out = await tmJson(['compare', '--limit', '0', files.heapprofile, files.native])
  const api = newer.compareTo(older, 'lineno')
  t.deepEqual(
    out.rows.map((r: any) => [r.key, r.size, r.sizeDiff, r.count, r.countDiff]),
    api.map((d) => [String(d.traceback), d.size, d.sizeDiff, d.count, d.countDiff]),
  )
  t.is(out.sizeDiff, out.new.total.size - out.old.total.size)
  const growth = out.sizeDiff as number
  t.true(growth !== 0)
  const below = String(Math.max(0, Math.floor(growth) - 1))
  const above = String(Math.abs(Math.ceil(growth)) + 1)
  const [failing, passing] = await Promise.all([
    tm(['compare', '--fail-over', below, files.heapprofile, files.native]),
    tm(['compare', '--fail-over', above, files.heapprofile, files.native]),
  ])
  if (growth > 0) {
    t.is(failing.status, 1, failing.stderr)
    t.regex(failing.stderr, /check failed/)
  }
  t.is(passing.status, 0, passing.stderr)
})

test('convert writes every export format and the native one; what it writes reads back', async (t) => {
  const snap = Snapshot.load(files.native)
  for (const format of ['tracemalloc', ...EXPORT_FORMATS]) {
    const out = join(dir, `converted.${format}`)
    const r = await tmJson(['convert', files.native, out, '--to', format])
    t.is(r.format, format)
    t.is(r.bytes, statSync(out).size, format)
    t.true(r.bytes > 0, format)
  }
  // Re-read: the native file and the .heapprofile through the CLI itself.
  const back = await tmJson(['info', join(dir, 'converted.tracemalloc')])
  t.is(back.total.traces, snap.traces.length)
  const prof = await tmJson(['info', join(dir, 'converted.heapprofile')])
  t.is(prof.kind, 'heapprofile')
  t.true(prof.total.size > 0)
  t.notThrows(() => JSON.parse(readFileSync(join(dir, 'converted.json'), 'utf8')))
  // A .heapsnapshot in, a small native file out, with the same totals.
  const small = join(dir, 'from-heap.tmsnap')
  const r = await tm(['convert', files.heapsnapshot, small])
  t.is(r.status, 0, r.stderr)
  const [a, b] = await Promise.all([tmJson(['info', files.heapsnapshot]), tmJson(['info', small])])
  t.is(b.kind, 'tracemalloc')
  t.deepEqual(b.total, a.total)
  t.true(b.fileBytes < a.fileBytes)
})

test('convert: an unknown --to, or no --to with an extension that says nothing, is a usage error', async (t) => {
  const [bad, none] = await Promise.all([
    tm(['convert', files.native, join(dir, 'x.out'), '--to', 'pickle']),
    tm(['convert', files.native, join(dir, 'x.out')]),
  ])
  t.is(bad.status, 2)
  t.regex(bad.stderr, /--to must be one of tracemalloc, pprof/)
  t.is(none.status, 2)
  t.regex(none.stderr, /--to FORMAT is needed/)
  t.false(existsSync(join(dir, 'x.out')))
})

test('flamegraph -o writes a self-contained HTML page; --diff draws it against a base', async (t) => {
  const one = join(dir, 'one.html')
  const diff = join(dir, 'diff.html')
  const [a, b] = await Promise.all([
    tmJson(['flamegraph', files.native, '-o', one]),
    tmJson(['flamegraph', files.native, '--diff', files.heapprofile, `--output=${diff}`, '--title', 'growth']),
  ])
  t.is(a.bytes, statSync(one).size)
  t.is(b.base, files.heapprofile)
  const page = readFileSync(diff, 'utf8')
  t.regex(page, /<html/i)
  t.true(page.includes('growth'))
  t.false(/<script[^>]+src=["']https?:/i.test(page), 'no network access')
  const missing = await tm(['flamegraph', files.native])
  t.is(missing.status, 2)
  t.regex(missing.stderr, /-o OUT\.html is required/)
})
