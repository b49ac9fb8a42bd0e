// CommonJS consumer: require('tracemalloc'), a live sampled capture, and a
// snapshot statistic. Prints one JSON line for the fresh-install test to check.
'use strict'
const tracemalloc = require('tracemalloc')

const kept = []
function hoardFromCjs() {
  for (let i = 0; i < 40; i++) kept.push(new Array(125000).fill(i))
}

tracemalloc.start(5)
hoardFromCjs()
const snapshot = tracemalloc.takeSnapshot()
const [current, peak] = tracemalloc.getTracedMemory()
tracemalloc.stop()
const top = snapshot.statistics('function')[0]
console.log(
  JSON.stringify({
    module: 'cjs',
    tracing: tracemalloc.isTracing(),
    current,
    peak,
    top: { fn: top.traceback.at(0).functionName, file: top.traceback.at(0).filename, size: top.size },
    loaded: Object.keys(require.cache).filter((p) => p.endsWith('.node')),
    resolved: require.resolve('tracemalloc'),
  }),
)
