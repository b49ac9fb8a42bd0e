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
