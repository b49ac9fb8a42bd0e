/**
 * Live capture against real V8 (no mocks): CPython's module API semantics.
 * Estimates, frames, track/untrack, exit and workers run in fresh processes
 * (live-node.spec.ts). Tracing is process-wide, so these run one after another.
 */
import test from 'ava'

import * as tm from '../index'

const keep: unknown[] = []

function bigArrays(n: number, elements: number): void {
  for (let i = 0; i < n; i++) keep.push(new Array(elements).fill(i))
}

test.serial('before start: not tracing, zeros, and CPython errors', (t) => {
  t.false(tm.isTracing())
  t.is(tm.getTracebackLimit(), 1)
  t.deepEqual(tm.getTracedMemory(), [0, 0])
  t.is(tm.getTracemallocMemory(), 0)
  t.throws(() => tm.takeSnapshot(), {
    message: 'the tracemalloc module must be tracing memory allocations to take a snapshot',
  })
  for (const bad of [0, -1, 65536, 2 ** 31]) {
    t.throws(() => tm.start(bad), { instanceOf: RangeError, message: 'the number of frames must be in range [1; 65535]' })
  }
  t.throws(() => tm.start(1.5), { instanceOf: TypeError })
  t.throws(() => tm.start('3' as never), { instanceOf: TypeError })
  t.throws(() => tm.start(1, { samplingInterval: 0 }), { instanceOf: RangeError })
  t.false(tm.isTracing())
  t.false(tm.track(2 ** 31, 1, 10))
})

test.serial('start/stop/clearTraces/resetPeak follow CPython', (t) => {
  tm.start(7)
  t.true(tm.isTracing())
  tm.start(3)
  t.is(tm.getTracebackLimit(), 7, 'start() while tracing changes nothing')
  bigArrays(4, 200_000)
  const [current, peak] = tm.getTracedMemory()
  t.true(current > 4 * 200_000 * 8, `current ${current}`)
  t.true(peak >= current)
  t.true(tm.getTracemallocMemory() > 0)
  keep.length = 0
  const [after, peakAfter] = tm.getTracedMemory()
  t.true(after < current / 2, `freed arrays leave the traces: ${after} vs ${current}`)
  t.true(peakAfter >= current, 'the peak remembers')
  tm.resetPeak()
  const [now, reset] = tm.getTracedMemory()
  t.true(reset <= now + 64 * 1024, `peak reset to current: ${reset} vs ${now}`)
  bigArrays(2, 100_000)
  tm.clearTraces()
  t.true(tm.isTracing())
  const snap = tm.takeSnapshot()
  t.true(snap.traces.length < 50, `clearTraces dropped earlier traces: ${snap.traces.length} left`)
  tm.stop()
  t.false(tm.isTracing())
  t.is(tm.getTracebackLimit(), 7, 'the limit survives stop()')
  t.deepEqual(tm.getTracedMemory(), [0, 0])
  keep.length = 0
})

test.serial('traced totals never wrap: track() past 2^53-1 bytes is refused with a clear error', (t) => {
  tm.start(1)
  try {
    const max = Number.MAX_SAFE_INTEGER
    // One huge block, leaving 1 TiB of room for the sampled JavaScript heap.
    const big = 2 ** 53 - 2 ** 40
    t.true(tm.track(2 ** 31, 0, big, [['native.c', 1]]))
    // Before, 2,049 blocks of 2^53-1 bytes wrapped the u64 total past 2^64 and read back small.
    for (let i = 1; i < 2049; i++) {
      const e = t.throws(() => tm.track(2 ** 31, i, max, [['native.c', 1]]), { instanceOf: RangeError })
      t.regex(e!.message, /^tracing 9007199254740991 more bytes would bring the traced total from \d+ past 2\^53-1 bytes$/)
    }
    const [current, peak] = tm.getTracedMemory()
    t.true(current >= big && current < big + 2 ** 40, `current ${current}`)
    t.true(peak >= current && peak <= max, `peak ${peak}`)
    t.is(tm.takeSnapshot().filterTraces([new tm.DomainFilter(true, 2 ** 31)]).traces.length, 1, 'refused blocks left no trace')
    t.true(tm.untrack(2 ** 31, 0))
    t.true(tm.track(2 ** 31, 1, max - 2 ** 40, [['native.c', 2]]), 'room again once the block is gone')
  } finally {
    tm.stop()
  }
})
