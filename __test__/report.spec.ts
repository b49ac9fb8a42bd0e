/**
 * The report header (what `tracemalloc run` and the register report print):
 * the mode, the interval, the measured error bands of sizes and counts, and
 * what this snapshot's capture measured about itself.
 */
import test from 'ava'

import { Snapshot, type CaptureInfo, type SnapshotColumns } from '../index'
import { toNative } from '../src/columns'
import { NativeSnapshot } from '../src/native'
import { formatReport, reportHeader } from '../src/report'

const NONE = 0xffffffff

/** Two traces at a.js: 1,000 bytes in 10 objects and 3,000 in 3. */
function columns(): SnapshotColumns {
  return {
    strings: ['a.js'],
    frames: Uint32Array.from([0, 3, 1, NONE]),
    seqEnds: Uint32Array.from([1]),
    seqFrames: Uint32Array.from([0]),
    tracebacks: Uint32Array.from([0, 1]),
    domain: Uint32Array.from([0, 0]),
    size: Float64Array.from([100, 1000]),
    traceback: Uint32Array.from([0, 0]),
    weight: Float64Array.from([10, 3]),
  }
}

function captured(info: Partial<CaptureInfo>): Snapshot {
  const full: CaptureInfo = { mode: 'sampled', samplingInterval: 32768, nodeVersion: null, pid: null, time: null, origin: null, ...info }
  // Wrapped as a live capture wraps the engine's snapshot.
  return Snapshot.wrap(NativeSnapshot.fromColumns(toNative(columns())), 4, undefined, full)
}

test('sampled mode: the header names the mode, the interval, and the measured bands of sizes and counts', (t) => {
  const snap = captured({ quality: { sizeBasis: { solved: 600, borrowed: 200, guessed: 150, foreign: 50 } } })
  const h = reportHeader(snap, 'lineno').join('\n')
  t.regex(h, /sampled mode, interval 32\.0 KiB, 4 frame\(s\), grouped by lineno/)
  t.regex(h, /retained sets of 16 B to 1 MiB objects measured within 5%/)
  t.regex(h, /every 8-aligned size from 16 B to 4 KiB/)
  t.regex(h, /499 to 502 of 511 sizes at 10 samples a size \(the rest guessed, worst 12\.5x\), 508 to 510 at 30, 510 or 511 at 100, the rest within 1%/)
  t.regex(h, /60% recovered, 20% borrowed from another site, 15% guessed, 5% sampled at another interval/)
  t.regex(h, /counts and averages of rows made of guessed bytes can mislead/, '20% guessed or foreign is past 5%')
  const solved = reportHeader(captured({ quality: { sizeBasis: { solved: 990, borrowed: 10, guessed: 0, foreign: 0 } } }), 'lineno').join('\n')
  t.regex(solved, /99% recovered, 1% borrowed from another site, 0% guessed$/m)
  t.notRegex(solved, /can mislead/)
})

test('exact mode: the header says counts are exact, and names the objects V8 lost when it lost some', (t) => {
  const clean = reportHeader(captured({ mode: 'exact', samplingInterval: null, quality: { trackerLost: 0 } }), 'traceback').join('\n')
  t.regex(clean, /exact mode \(V8 allocation tracker\), 4 frame\(s\), grouped by traceback; sizes and counts are exact/)
  t.notRegex(clean, /lost/)
  t.notRegex(clean, /interval/)
  const lost = reportHeader(captured({ mode: 'exact', samplingInterval: null, quality: { trackerLost: 42 } }), 'lineno').join('\n')
  t.regex(lost, /V8's allocation tracker lost the site of 42 live object\(s\)/)
})

test('the report follows the header with the top rows and the total', (t) => {
  const lines = formatReport(captured({}), 'lineno', 10)
  t.true(lines.includes('[ Top 1 of 1 ]'), lines.join('\n'))
  t.is(lines.at(-2), 'a.js:3:1: size=4000 B, count=13, average=308 B')
  t.is(lines.at(-1), 'Total: 4000 B in 2 traces')
  const data = reportHeader(Snapshot.fromColumns(columns(), 4), 'lineno')
  t.regex(data[0]!, /snapshot of 2 traces, grouped by lineno/)
  // Imported files say what they are: a heap snapshot holds live objects, not those since start().
  const heap = reportHeader(captured({ mode: 'exact', samplingInterval: null, origin: 'heapsnapshot' }), 'lineno').join('\n')
  t.regex(heap, /V8 heap snapshot, 4 frame\(s\), grouped by lineno; sizes and counts are exact for the live objects it holds/)
  t.notRegex(heap, /since start\(\)/)
  const unknown = reportHeader(captured({ samplingInterval: null, origin: 'heapprofile' }), 'lineno').join('\n')
  t.regex(unknown, /sampled mode, interval unknown/)
  t.notRegex(unknown, /0 B/)
})
