// One measured run of a capture-bench workload, in a fresh process:
//   node capture-workload.js <workload> <mode>
// mode: none | exact | <sampling interval in bytes> (tracemalloc), or a peer
// at an interval: pprof:<bytes> (@datadog/pprof's heap profiler) or
// heapprof:<bytes> (the parent runs this under `node --heap-prof` and reads
// the profile written at exit). Prints JSON: the workload's wall time, the
// live bytes per site at the end (`file:line:column` of the allocating
// function, as tracemalloc's 'lineno' key prints it), and the time of one
// read of the live allocations (tracemalloc's takeSnapshot(), pprof's
// profile() alone and after a full GC).
'use strict'
const tm = require('tracemalloc')
const { join } = require('node:path')
const { runInNewContext } = require('node:vm')
const v8 = require('node:v8')

const keep = []

// Ten allocation sites of different shapes, so that the top-10 comparison has ten real sites.
function site0(i) { return { x: i } }
function site1(i) { return { x: i, y: i } }
function site2(i) { return [i, i + 1] }
function site3(i) { return { a: i, b: [i] } }
function site4(i) { return { p: { q: i } } }
function site5(i) { return [i, i, i, i] }
function site6(i) { return { s: `k${i}` } }
function site7(i) { return { a: i, b: i, c: i, d: i } }
function site8(i) { return [{ i }] }
function site9(i) { return { m: new Map() } }
const SITES = [site0, site1, site2, site3, site4, site5, site6, site7, site8, site9]

/** 8M iterations over ten sites, 1 to 3 small objects each; a quarter kept. */
function churn() {
  for (let i = 0; i < 8_000_000; i++) {
    const o = SITES[i % 10](i)
    if (i % 4 === 0) keep.push(o)
  }
}

/** Large strings and arrays: 4,000 x 16-64 KiB, a quarter kept. */
function bigValues() {
  for (let i = 0; i < 4000; i++) {
    const n = 2048 + (i % 7) * 1024
    const s = 'abcdefgh'.repeat(n)
    const arr = new Array(n).fill(i)
    if (i % 4 === 0) keep.push(s, arr)
  }
}

/** An app: JSON parse/stringify of requests, with a bounded cache of results. */
function app() {
  const cache = new Map()
  const template = { user: { id: 0, name: 'n', roles: ['a', 'b'], prefs: { theme: 'dark', lang: 'en' } }, items: [] }
  for (let i = 0; i < 60_000; i++) {
    template.user.id = i
    template.items = Array.from({ length: 8 }, (_, k) => ({ sku: `s${k}`, qty: k + (i % 5), price: k * 1.5 }))
    const body = JSON.stringify(template)
    const req = JSON.parse(body)
    const total = req.items.reduce((a, it) => a + it.qty * it.price, 0)
    const key = `u${i % 20000}`
    cache.set(key, { total, body: body.slice(0, 200), at: i })
    if (cache.size > 15000) cache.delete(cache.keys().next().value)
  }
  keep.push(cache)
}

const workloads = { churn, bigValues, app }
const [name, mode] = process.argv.slice(2)
const work = workloads[name]
if (!work || !mode) throw new Error('usage: capture-workload.js <churn|bigValues|app> <none|exact|interval|pprof:interval|heapprof:interval>')
const [peer, peerInterval] = mode.includes(':') ? mode.split(':') : [null, null]
let pprof = null
if (peer === 'pprof') {
  pprof = require(join(__dirname, 'peers', 'node_modules', '@datadog', 'pprof'))
  pprof.heap.start(Number(peerInterval), 128)
} else if (peer === null && mode !== 'none') {
  // Raw frames: the peers charge a builtin's allocations to the builtin itself,
  // so sites are compared on V8's own frames (folding moves bytes, never adds them).
  tm.start(1, mode === 'exact' ? { mode: 'exact', rawFrames: true } : { samplingInterval: Number(mode), rawFrames: true })
}
// Held from the global object, so that the objects, and this script (V8
// names a sample's file and line only while its script lives), are still
// alive when --heap-prof writes its profile at exit.
globalThis.keptUntilExit = { keep, workloads }
const t0 = process.hrtime.bigint()
work()
const ms = Number(process.hrtime.bigint() - t0) / 1e6
const since = (t) => Number(process.hrtime.bigint() - t) / 1e6

/** Live bytes per allocating function, from pprof's V8 allocation tree. */
function pprofSites(root) {
  const sites = new Map()
  const walk = (n) => {
    let bytes = 0
    for (const a of n.allocations) bytes += a.sizeBytes * a.count
    if (bytes > 0) {
      const file = n.scriptName.startsWith('file://') ? require('node:url').fileURLToPath(n.scriptName) : n.scriptName || '<unknown>'
      // As tracemalloc prints a frame: without a line, the function name stands in.
      const key = n.lineNumber > 0 ? `${file}:${n.lineNumber}:${n.columnNumber}` : `${file}:${n.name || '(anonymous)'}`
      sites.set(key, (sites.get(key) ?? 0) + bytes)
    }
    n.children.forEach(walk)
  }
  walk(root)
  return [...sites].sort((a, b) => b[1] - a[1])
}

let sites = null
let read = null
if (pprof) {
  let t = process.hrtime.bigint()
  pprof.heap.profile()
  const alone = since(t)
  v8.setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc')
  t = process.hrtime.bigint()
  gc()
  pprof.heap.profile()
  read = { ms: alone, withGcMs: since(t) }
  sites = pprofSites(pprof.heap.v8Profile())
  pprof.heap.stop()
} else if (peer === null && mode !== 'none') {
  let t = process.hrtime.bigint()
  const snap = tm.takeSnapshot()
  read = { ms: since(t) }
  sites = snap.statistics('lineno').map((s) => [String(s.traceback), s.size])
  tm.stop()
  // What one full GC of the same heap costs: V8 runs one on every read of
  // a sampling profile through the inspector.
  v8.setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc')
  t = process.hrtime.bigint()
  gc()
  read.gcMs = since(t)
}
console.log(JSON.stringify({ ms, sites, read }))
