/**
 * Snapshot behaviour beyond CPython's data: JavaScript frames, the function
 * key, sampling weights, the columnar path, validation, and cross-table diffs.
 */
import test from 'ava'

import { DomainFilter, Filter, Snapshot, Traceback, type RawTrace, type SnapshotColumns } from '../index'

const NONE = 0xffffffff

const js: RawTrace[] = [
  [0, 100, [['/app/a.js', 10, 5, 'alloc'], ['/app/main.js', 1, 1, 'main']], 2],
  [0, 50, [['/app/a.js', 10, 30, 'other'], ['/app/main.js', 1, 1, 'main']], 2],
  [0, 25, [['/app/a.js', 10, 5, 'alloc'], ['/app/b.js', 3, 1, 'helper'], ['/app/main.js', 1, 1, 'main']], 3],
  [1, 7, [['/app/b.js', 3, 1, 'helper']], 1],
]

test('the lineno key tells JavaScript functions apart by column', (t) => {
  const stats = new Snapshot(js, 3).statistics('lineno')
  t.deepEqual(
    stats.map((s) => [String(s.traceback), s.size, s.count]),
    [
      ['/app/a.js:10:5', 125, 2],
      ['/app/a.js:10:30', 50, 1],
      ['/app/b.js:3:1', 7, 1],
    ],
  )
  const frame = stats[0]!.traceback.at(0)
  t.is(frame.functionName, 'alloc')
  t.is(frame.column, 5)
  t.is(frame.repr(), "<Frame filename='/app/a.js' lineno=10 column=5 function='alloc'>")
})

test('the function key groups by file and function name', (t) => {
  const snap = new Snapshot(js, 3)
  t.deepEqual(
    snap.statistics('function').map((s) => String(s)),
    [
      '/app/a.js:alloc: size=125 B, count=2, average=62 B',
      '/app/a.js:other: size=50 B, count=1, average=50 B',
      '/app/b.js:helper: size=7 B, count=1, average=7 B',
    ],
  )
  const cumulative = snap.statistics('function', true).map((s) => [String(s.traceback), s.size, s.count])
  t.deepEqual(cumulative, [
    ['/app/main.js:main', 175, 3],
    ['/app/a.js:alloc', 125, 2],
    ['/app/a.js:other', 50, 1],
    ['/app/b.js:helper', 32, 2],
  ])
  t.throws(() => new Snapshot([[0, 1, [], 0]], 1).statistics('function'), { instanceOf: RangeError })
})

test('format() names the column and function of JavaScript frames', (t) => {
  const tb = new Snapshot(js, 3).traces.at(2).traceback
  t.deepEqual(tb.format(2, true, { getline: (f, l) => (f.endsWith('a.js') ? ` line ${l} ` : '') }), [
    '  File "/app/a.js", line 10, column 5, in alloc',
    '    line 10',
    '  File "/app/b.js", line 3, column 1, in helper',
  ])
})

function columns(weight?: Float64Array): SnapshotColumns {
  return {
    strings: ['a.js', 'f', 'b.js'],
    frames: Uint32Array.from([0, 1, 1, 1, 2, 7, 0, NONE]),
    seqEnds: Uint32Array.from([1, 2]),
    seqFrames: Uint32Array.from([0, 1]),
    tracebacks: Uint32Array.from([0, 1, 1, NONE]),
    domain: Uint32Array.from([0, 0, 3]),
    size: Float64Array.from([32, 32, 1000]),
    traceback: Uint32Array.from([0, 0, 1]),
    weight,
  }
}

test('sampled snapshots sum weights: sizes and counts are estimates, rounded once', (t) => {
  const snap = Snapshot.fromColumns(columns(Float64Array.from([1024.5, 1024.5, 1])), 1)
  const [a, b] = snap.statistics('filename')
  t.is(String(a!.traceback), 'a.js:0')
  t.is(a!.size, 65568) // 2 x 32 x 1024.5
  t.is(a!.count, 2049)
  t.is(b!.size, 1000)
  t.is(b!.count, 1)
  t.is(snap.traces.at(0).weight, 1024.5)
  t.is(snap.traces.at(0).size, 32)
  t.is(snap.traces.at(-1).traceback.totalNframe, null)
  const exact = Snapshot.fromColumns(columns(), 1)
  const diff = snap.compareTo(exact, 'filename')
  t.deepEqual(
    diff.map((d) => [String(d.traceback), d.size, d.sizeDiff, d.count, d.countDiff]),
    [
      ['a.js:0', 65568, 65504, 2049, 2047],
      ['b.js:0', 1000, 0, 1, 0],
    ],
  )
})

test('fromColumns validates ids, sizes and weights with clear errors', (t) => {
  t.throws(() => Snapshot.fromColumns({ ...columns(), traceback: Uint32Array.from([0, 0, 9]) }, 1), {
    instanceOf: RangeError,
    message: /trace traceback\[2\] is 9, but only 2 exist/,
  })
  t.throws(() => Snapshot.fromColumns({ ...columns(), size: Float64Array.from([1.5, 2, 3]) }, 1), {
    instanceOf: RangeError,
    message: /trace 0: size must be an integer/,
  })
  t.throws(() => Snapshot.fromColumns(columns(Float64Array.from([1, 0, 1])), 1), {
    instanceOf: RangeError,
    message: 'trace 1: weight must be a finite number in (0, 2^53], got 0',
  })
  // Weights that would print "size=inf TiB" are refused, as are traces standing for 2^53 bytes or more.
  t.throws(() => Snapshot.fromColumns(columns(Float64Array.from([1, 1e300, 1])), 1), {
    instanceOf: RangeError,
    message: /^trace 1: weight must be a finite number in \(0, 2\^53\], got 1e\+?300$/,
  })
  t.throws(() => Snapshot.fromColumns(columns(Float64Array.from([1, 1, 2 ** 50])), 1), {
    instanceOf: RangeError,
    message: /^trace 2: size 1000 x weight 1125899906842624 stands for more than 2\^53-1 bytes$/,
  })
  t.throws(() => Snapshot.fromColumns({ ...columns(), frames: Uint32Array.from([5, 1, 0, NONE]) }, 1), {
    instanceOf: RangeError,
    message: /frame 0 names string 5/,
  })
  t.throws(() => Snapshot.fromColumns({ ...columns(), seqEnds: Uint32Array.from([2, 1]) }, 1), { instanceOf: RangeError })
  t.throws(() => Snapshot.fromColumns({ ...columns(), domain: [0, 0, 3] as unknown as Uint32Array }, 1), {
    instanceOf: TypeError,
    message: /columns.domain must be a Uint32Array/,
  })
})

test('raw traces are validated, naming the trace', (t) => {
  t.throws(() => new Snapshot([[0, -1, [['a', 1]], 1]], 1), { instanceOf: RangeError, message: /traces\[0\]: size/ })
  t.throws(() => new Snapshot([[0, 1, [['a', 1]]] as any], 1), { instanceOf: TypeError, message: /traces\[0\] must be an array/ })
  t.throws(() => new Snapshot([[0, 1, [[1, 1]], 1]] as any, 1), { instanceOf: TypeError, message: /filename must be a string/ })
  t.throws(() => new Snapshot([[0, 1, [['a', 1.5]], 1]], 1), { instanceOf: RangeError, message: /lineno must be an integer/ })
  t.throws(() => new Snapshot(null as any, 1), { instanceOf: TypeError })
})

test('equal contents in columns are merged: one group, not two', (t) => {
  const snap = Snapshot.fromColumns(
    {
      strings: ['a.js', 'a.js'],
      frames: Uint32Array.from([0, 1, 0, NONE, 1, 1, 0, NONE]),
      seqEnds: Uint32Array.from([1, 2]),
      seqFrames: Uint32Array.from([0, 1]),
      tracebacks: Uint32Array.from([0, 1, 1, 1]),
      domain: Uint32Array.from([0, 0]),
      size: Float64Array.from([1, 2]),
      traceback: Uint32Array.from([0, 1]),
    },
    1,
  )
  t.deepEqual(
    snap.statistics('traceback').map((s) => [String(s), s.count]),
    [['a.js:1: size=3 B, count=2, average=2 B', 2]],
  )
})

test('compareTo matches groups across snapshots with separate tables, and with shared ones', (t) => {
  const older = new Snapshot(
    [
      [0, 10, [['/app/b.js', 3, 1, 'helper']], 1],
      [0, 99, [['/gone.js', 1, 1, 'x']], 1],
    ],
    1,
  )
  const newer = new Snapshot(js, 3)
  const rows = newer.compareTo(older, 'traceback').map((d) => String(d))
  t.deepEqual(rows, [
    '/app/main.js:1:1: size=100 B (+100 B), count=1 (+1), average=100 B',
    '/gone.js:1:1: size=0 B (-99 B), count=0 (-1)',
    '/app/main.js:1:1: size=50 B (+50 B), count=1 (+1), average=50 B',
    '/app/main.js:1:1: size=25 B (+25 B), count=1 (+1), average=25 B',
    '/app/b.js:3:1: size=7 B (-3 B), count=1 (+0), average=7 B',
  ])
  const filtered = newer.filterTraces([new DomainFilter(false, 1)])
  const shared = newer.compareTo(filtered, 'lineno').map((d) => [String(d.traceback), d.sizeDiff, d.countDiff])
  t.deepEqual(shared, [
    ['/app/b.js:3:1', 7, 1],
    ['/app/a.js:10:5', 0, 0],
    ['/app/a.js:10:30', 0, 0],
  ])
})

test('lone surrogates and astral characters survive the round trip and sort by code point', (t) => {
  const names = ['\udcff.js', '😀.js', '\uff01.js']
  const snap = new Snapshot(names.map((n, i): RawTrace => [0, 1, [[n, i]], 1]), 1)
  t.deepEqual(
    snap.statistics('filename').map((s) => s.traceback.at(0).filename),
    ['😀.js', '\uff01.js', '\udcff.js'],
  )
  t.is(snap.traces.at(0).traceback.repr(), "<Traceback (<Frame filename='\\udcff.js' lineno=0>,) total_nframe=1>")
})

test('traces is a lazy sequence with bounds checks', (t) => {
  const traces = new Snapshot(js, 3).traces
  t.is(traces.length, 4)
  t.is(traces.at(-1).domain, 1)
  t.is([...traces].length, 4)
  t.is(traces.slice(1, 3).length, 2)
  t.throws(() => traces.at(4), { instanceOf: RangeError })
  t.throws(() => traces.at(1.5), { instanceOf: TypeError })
  t.true(traces.includes(traces.at(2)))
})

test('filters read their mutable attributes when filterTraces runs', (t) => {
  const snap = new Snapshot(js, 3)
  const f = new Filter(true, '/app/b.js')
  t.is(snap.filterTraces([f]).traces.length, 1)
  f.allFrames = true
  t.is(snap.filterTraces([f]).traces.length, 2)
  f.inclusive = false
  t.is(snap.filterTraces([f]).traces.length, 2)
  f.domain = 1
  t.is(snap.filterTraces([f]).traces.length, 3)
  ;(f as any).lineno = 'x'
  t.throws(() => snap.filterTraces([f]), { instanceOf: TypeError, message: /Filter.lineno must be a number/ })
})

test('Traceback sorts and compares like CPython, with JavaScript fields after the line', (t) => {
  const a = new Traceback([['x.js', 1, 2, 'f']])
  const b = new Traceback([['x.js', 1, 3, 'f']])
  const c = new Traceback([['x.js', 1]])
  t.true(Traceback.compare(c, a) < 0)
  t.true(Traceback.compare(a, b) < 0)
  t.false(a.equals(b))
})

test('a Rust panic becomes a JavaScript Error, and the process goes on', (t) => {
  const binding = require('#binding') as { debugPanic(message: string): void }
  t.throws(() => binding.debugPanic('boom in Rust'), { instanceOf: Error, message: /boom in Rust/ })
  t.is(new Snapshot(js, 3).statistics('lineno').length, 3)
})
