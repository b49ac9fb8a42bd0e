/**
 * The host comes first: tracing must not change how the traced program
 * ends, what it leaves behind, the profilers it shares V8 with, or its
 * memory and responsiveness. Real processes, signals, files and profilers.
 */
import test from 'ava'

import { hostFixture, nodes, runJson, version } from './child'

for (const node of nodes) {
  const v = version(node)

  for (const mode of ['sampled', 'exact']) {
    test(`${v}: ${mode}: clearTraces() and stop() release the tables; older snapshots stay valid`, async (t) => {
      const r = await runJson(node, [hostFixture('table-memory.js')], { MODE: mode })
      t.log(`baseline ${r.baseline} B, ${r.beforeRows} sites ${r.full} B, after clearTraces ${r.afterClear} B, after stop/start ${r.afterRestart} B`)
      t.true(r.full > 1_000_000, `the sites took room: ${r.full}`)
      t.true(r.afterClear < r.full / 20 && r.afterClear < 256 * 1024, `after clearTraces: ${r.afterClear} of ${r.full}`)
      t.true(r.afterRestart < 256 * 1024, `after stop() and start(): ${r.afterRestart}`)
      t.true(r.afterAgain < r.full / 5, `100 sites again: ${r.afterAgain}`)
      t.true(r.beforeStillValid, 'a snapshot taken before clearTraces() reads the same')
      // compareTo across the old and the new tables matches sites by content.
      const [now, then] = [r.site5.now, r.site5.then]
      t.deepEqual(r.site5.d, [now[0], now[0] - then[0], now[1], now[1] - then[1]])
      t.is(r.site500.now, undefined)
      t.deepEqual(r.site500.d, [0, -r.site500.then[0], 0, -r.site500.then[1]])
    })
  }
}
