// Accuracy sweeps of sampled capture against a known truth, one process per run:
//
//   node capture-accuracy.js sizes tracemalloc|pprof <interval>
//     Known retained sets of 16 B to 1 MiB objects, one at a time. Prints
//     per set the true bytes and count and what was read: tracemalloc's
//     snapshot, the per-sample sizes of the same profile summed (how
//     tracemalloc read bytes before), or @datadog/pprof's V8 allocation tree.
//   node capture-accuracy.js size-set <index>
//     Allocates set <index> and keeps it to the end: the parent runs this
//     under `node --heap-prof` and reads the profile written at exit.
//   node capture-accuracy.js counts <samples per size> <interval>
//     Every 8-aligned object size from 16 B to 4 KiB, one at a time, with
//     about <samples> samples each: tracemalloc's count, V8's own count of
//     the same samples (read through @datadog/pprof's native API, which sees
//     the object size), the smallest-fitting-size rule tracemalloc used
//     before, and the truth.
//
// The truth comes from V8's object layout on 64-bit Node without pointer
// compression: a HeapNumber is 16 bytes (map, double), a sequential one-byte
// string of n characters is 16 + n bytes rounded up to 8, `new Array(k)` is a
// 32-byte JSArray and a 16 + 8k byte FixedArray.
'use strict'
const { join } = require('node:path')
const { Session } = require('node:inspector')
const { runInNewContext } = require('node:vm')
const v8 = require('node:v8')

const { SETS, MAKERS } = require('./known-sets')
const SET_BYTES = 48 << 20

/** Makes `n` objects of `set` into a holder made beforehand (which holds an object, so numbers are boxed). */
function allocate(set, n) {
  const holder = new Array(n).fill({})
  return { holder, run: () => MAKERS[set.kind](holder, n, set.size - 16) }
}

const setCount = (set) => Math.max(8, Math.round(SET_BYTES / set.size))

function pprofModule() {
  return require(join(__dirname, 'peers', 'node_modules', '@datadog', 'pprof'))
}

function gcFunction() {
  v8.setFlagsFromString('--expose-gc')
  return runInNewContext('gc')
}

/** Bytes and objects that pprof's V8 allocation tree charges to function `fn`. */
function pprofTotals(root, fn) {
  let bytes = 0
  let count = 0
  const walk = (n) => {
    if (n.name === fn) {
      for (const a of n.allocations) {
        bytes += a.sizeBytes * a.count
        count += a.count
      }
    }
    n.children.forEach(walk)
  }
  walk(root)
  return { bytes, count }
}

/** The inspector profile's samples of function `fn` (a second session reads the same sampler). */
function inspectorSamples(session, fn) {
  let profile
  session.post('HeapProfiler.getSamplingProfile', (err, r) => {
    if (err) throw err
    profile = r.profile
  })
  const ids = new Set()
  const walk = (n) => {
    if (n.callFrame.functionName === fn) ids.add(n.id)
    n.children.forEach(walk)
  }
  walk(profile.head)
  return profile.samples.filter((s) => ids.has(s.nodeId)).map((s) => s.size)
}

/** How tracemalloc read a sample before: the smallest 8-aligned size that fits its reported size. */
function smallestFit(scaled, interval) {
  const count = (s) => Math.floor(1 / (1 - Math.exp(-s / interval)) + 0.5)
  if (count(scaled) === 1) return [scaled, 1]
  for (let s = Math.max(8, Math.floor((Math.max(0, scaled - interval) * 0.9) / 8) * 8); s <= scaled; s += 8) {
    if (scaled % s === 0 && s * count(s) === scaled) return [s, scaled / s]
  }
  return [scaled, 1]
}

function sizes(tracer, interval) {
  const out = []
  if (tracer === 'tracemalloc') {
    const tm = require('tracemalloc')
    tm.start(1, { samplingInterval: interval })
    const session = new Session()
    session.connect()
    for (const set of SETS) {
      const n = setCount(set)
      const { holder, run } = allocate(set, n)
      tm.clearTraces()
      run()
      const snap = tm.takeSnapshot()
      const fn = MAKERS[set.kind].name
      let bytes = 0
      let count = 0
      for (const s of snap.statistics('function')) {
        if (s.traceback.at(0).functionName === fn) {
          bytes += s.size
          count += s.count
        }
      }
      const perSample = inspectorSamples(session, fn).reduce((a, b) => a + b, 0)
      out.push({ n, bytes, count, perSample })
      holder.length = 0
    }
    session.disconnect()
    tm.stop()
  } else {
    const pprof = pprofModule()
    const gc = gcFunction()
    for (const set of SETS) {
      const n = setCount(set)
      const { holder, run } = allocate(set, n)
      pprof.heap.start(interval, 128)
      run()
      gc()
      out.push({ n, ...pprofTotals(pprof.heap.v8Profile(), MAKERS[set.kind].name) })
      pprof.heap.stop()
      holder.length = 0
    }
  }
  return out
}

function sizeSet(index) {
  const set = SETS[index]
  const n = setCount(set)
  const { holder, run } = allocate(set, n)
  run()
  // Held from the global object, so that the objects, and this script (V8
  // names a sample's file and line only while its script lives), are still
  // alive when --heap-prof writes its profile at exit.
  globalThis.keptUntilExit = { holder, MAKERS }
  return { n, fn: MAKERS[set.kind].name }
}

function counts(samples, interval) {
  const tm = require('tracemalloc')
  const pprof = pprofModule()
  tm.start(1, { samplingInterval: interval })
  // tracemalloc's inspector session started V8's sampler; pprof reads the same one.
  pprof.heap.start(interval, 128)
  const session = new Session()
  session.connect()
  const out = []
  for (let size = 16; size <= 4096; size += 8) {
    const set = { kind: size === 16 ? 'number' : 'string', size }
    const p = 1 - Math.exp(-size / interval)
    const n = Math.max(1, Math.round(samples / p))
    const { holder, run } = allocate(set, n)
    tm.clearTraces()
    run()
    const snap = tm.takeSnapshot()
    const fn = MAKERS[set.kind].name
    const stat = snap.statistics('function').find((s) => s.traceback.at(0).functionName === fn)
    const v8count = pprofTotals(pprof.heap.v8Profile(), fn).count
    const before = inspectorSamples(session, fn).reduce((a, s) => a + smallestFit(s, interval)[1], 0)
    const basis = snap.captureInfo.quality.sizeBasis
    out.push({ size, n, count: stat ? stat.count : 0, v8: v8count, before, solved: basis.solved / Math.max(1, basis.solved + basis.borrowed + basis.guessed + basis.foreign) })
    holder.length = 0
  }
  session.disconnect()
  tm.stop()
  return out
}

const [task, a, b] = process.argv.slice(2)
if (task === 'sizes') console.log(JSON.stringify(sizes(a, Number(b))))
else if (task === 'size-set') console.log(JSON.stringify(sizeSet(Number(a))))
else if (task === 'counts') console.log(JSON.stringify(counts(Number(a), Number(b))))
else if (task === 'sets') console.log(JSON.stringify(SETS))
else throw new Error('usage: capture-accuracy.js sizes|size-set|counts|sets ...')
