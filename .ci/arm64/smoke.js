// Smoke test of the linux-arm64-gnu platform package, run by an arm64 Node.js
// under qemu-user from a project where the packed tarballs were installed:
// the generated loader must pick the arm64 package's binary, and a live
// sampled capture, a snapshot, its statistics and the Snapshot API on plain
// data must work. Exits non-zero with a message on the first failure.
'use strict'
const assert = require('node:assert/strict')
const path = require('node:path')

assert.equal(process.arch, 'arm64', 'this must run on an arm64 Node.js')
const tracemalloc = require('tracemalloc')
const binaries = Object.keys(require.cache).filter((p) => p.endsWith('.node'))
assert.deepEqual(
  binaries,
  [path.join(process.cwd(), 'node_modules', 'tracemalloc-linux-arm64-gnu', 'tracemalloc.linux-arm64-gnu.node')],
  'the loader took the linux-arm64-gnu package',
)

const kept = []
function hoardOnArm64() {
  for (let i = 0; i < 20; i++) kept.push(new Array(100000).fill(i))
}
tracemalloc.start(4)
hoardOnArm64()
const snapshot = tracemalloc.takeSnapshot()
const [current, peak] = tracemalloc.getTracedMemory()
tracemalloc.stop()
assert.equal(tracemalloc.isTracing(), false)
assert.ok(current > 2e6 && peak >= current, `traced memory ${current}/${peak}`)
const top = snapshot.statistics('function')[0]
assert.equal(top.traceback.at(0).functionName, 'hoardOnArm64')
assert.equal(top.traceback.at(0).filename, __filename)
assert.ok(snapshot.statistics('traceback').length > 0)

const a = new tracemalloc.Snapshot([[0, 10, [['a.js', 1]], 1], [0, 30, [['b.js', 2]], 1]], 1)
const b = new tracemalloc.Snapshot([[0, 25, [['a.js', 1]], 1]], 1)
assert.deepEqual(
  a.compareTo(b, 'filename').map((d) => [d.traceback.at(0).filename, d.size, d.sizeDiff]),
  [['b.js', 30, 30], ['a.js', 10, -15]],
)
console.log(`arm64 smoke: ok (${process.version}, ${snapshot.traces.length} traces, top ${top.size} bytes in hoardOnArm64)`)
