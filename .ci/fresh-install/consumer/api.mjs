// ES module consumer: named and default imports of 'tracemalloc', a live
// sampled capture, a snapshot statistic, and the Snapshot API on plain data.
import tracemalloc, { start, stop, takeSnapshot, Snapshot, Filter } from 'tracemalloc'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const kept = []
function hoardFromEsm() {
  for (let i = 0; i < 40; i++) kept.push(new Array(125000).fill(i))
}

start(5)
hoardFromEsm()
const snapshot = takeSnapshot()
const [current, peak] = tracemalloc.getTracedMemory()
stop()
const top = snapshot.filterTraces([new Filter(true, fileURLToPath(import.meta.url))]).statistics('lineno')[0]
const plain = new Snapshot([[0, 10, [['a.js', 1]], 1], [0, 30, [['b.js', 2]], 1]], 1).statistics('filename')
const require = createRequire(import.meta.url)
console.log(
  JSON.stringify({
    module: 'esm',
    sameModule: tracemalloc.start === start,
    current,
    peak,
    top: { fn: top.traceback.at(0).functionName, file: top.traceback.at(0).filename, size: top.size },
    plain: plain.map((s) => [s.traceback.at(0).filename, s.size, s.count]),
    resolved: require.resolve('tracemalloc'),
  }),
)
