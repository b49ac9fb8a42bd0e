/**
 * A `.heapprofile` written by `snapshot.export()` reads back through
 * `Snapshot.fromHeapProfile` as the same snapshot: the same sites with the
 * same bytes, the mode and the interval kept. Exact snapshots keep their
 * counts too; sampled ones keep their byte estimates (a profile sample holds
 * bytes only, so the count of each trace is 1 after the round trip).
 */
import test from 'ava'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import * as tm from '../index'
import { Snapshot, type RawTrace } from '../index'

const dir = mkdtempSync(join(tmpdir(), 'tracemalloc-reimport-'))
test.after.always(() => rmSync(dir, { recursive: true, force: true }))

/** Bytes per `file:line` site. */
function bySite(s: Snapshot): Map<string, number> {
  const m = new Map<string, number>()
  for (const st of s.statistics('lineno')) {
    const f = st.traceback.at(0)
    m.set(f ? `${f.filename}:${f.lineno}` : '<none>', st.size)
  }
  return m
}

test('an exact snapshot survives export to .heapprofile and import: sites, bytes and counts', (t) => {
  const raw: RawTrace[] = [
    [0, 4096, [['/app/cache.js', 41, 9, 'set'], ['/app/server.js', 64, 20, 'handle']], 2],
    [0, 4096, [['/app/cache.js', 41, 9, 'set'], ['/app/server.js', 64, 20, 'handle']], 2],
    [0, 512, [['/app/log.js', 7, 30, 'format']], 1],
    [0, 100, [['/app/server.js', 70, 3, 'handle']], 1],
  ]
  const snap = new Snapshot(raw, 5)
  const file = join(dir, 'built.heapprofile')
  snap.export(file, 'heapprofile')
  const back = Snapshot.fromHeapProfile(file)
  t.deepEqual(bySite(back), bySite(snap))
  const counts = (s: Snapshot) => s.statistics('traceback').map((st) => [String(st.traceback), st.size, st.count])
  t.deepEqual(counts(back).sort(), counts(snap).sort())
})

test('a live sampled snapshot survives export to .heapprofile and import: sites, bytes, mode and interval', (t) => {
  const keep: unknown[] = []
  tm.start(16, { samplingInterval: 4096 })
  function grow(): void {
    for (let i = 0; i < 2000; i++) keep.push(new Array(64).fill(i))
  }
  grow()
  const snap = tm.takeSnapshot()
  tm.stop()
  t.true(keep.length > 0)
  const file = join(dir, 'live.heapprofile')
  snap.export(file, 'heapprofile')
  const back = Snapshot.fromHeapProfile(file)
  const a = bySite(snap)
  const b = bySite(back)
  t.deepEqual([...b.keys()].sort(), [...a.keys()].sort(), 'the same sites')
  for (const [site, bytes] of a) {
    // The profile holds each trace's bytes rounded to an integer.
    t.true(Math.abs(b.get(site)! - bytes) <= snap.traces.length, `${site}: ${b.get(site)} against ${bytes}`)
  }
  t.is(back.captureInfo?.mode, snap.captureInfo?.mode)
  t.is(back.captureInfo?.samplingInterval, snap.captureInfo?.samplingInterval)
})
