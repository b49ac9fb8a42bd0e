// One run of the stall benchmark (bench/stall.ts), in a fresh process.
// argv[2]: untraced | no-worker | idle-worker | busy-worker
// The main thread syncs (takeSnapshot) every 150 ms, SYNCS times, and
// records how long each sync blocked it; an event-loop delay histogram
// covers the whole run. A traced worker holds 200k objects; "busy" keeps
// it in synchronous code for 2 s at a time, with 5 ms breaks.
'use strict'
const { isMainThread, parentPort, workerData } = require('node:worker_threads')
const { monitorEventLoopDelay, performance } = require('node:perf_hooks')

if (!isMainThread) {
  const held = []
  for (let i = 0; i < 200000; i++) held.push({ i, s: `w${i}` })
  globalThis.held = held
  parentPort.postMessage('allocated')
  if (workerData === 'busy') {
    const spin = () => {
      const until = Date.now() + 2000
      let x = 0
      while (Date.now() < until) x += Math.sqrt(x + 1)
      globalThis.sink = x
      setTimeout(spin, 5)
    }
    spin()
  } else {
    setInterval(() => held.length, 1000)
  }
  return
}

const config = process.argv[2]
const SYNCS = Number(process.env.SYNCS || 10)
const tm = require('..')
const traced = config !== 'untraced'
if (traced) tm.start(3, { workers: true })
const keep = []
for (let i = 0; i < 100000; i++) keep.push({ i })
const hist = monitorEventLoopDelay({ resolution: 5 })

function measure(worker) {
  hist.enable()
  const syncs = []
  let n = 0
  const tick = () => {
    if (traced) {
      const t0 = performance.now()
      tm.takeSnapshot()
      syncs.push(performance.now() - t0)
    }
    if (++n < SYNCS) return setTimeout(tick, 150)
    hist.disable()
    console.log(JSON.stringify({ syncs, loopMax: hist.max / 1e6, loopP50: hist.percentile(50) / 1e6 }))
    if (worker) worker.terminate()
    if (traced) tm.stop()
  }
  setTimeout(tick, 150)
}

if (config === 'idle-worker' || config === 'busy-worker' || config === 'untraced') {
  const { Worker } = require('node:worker_threads')
  const w = new Worker(__filename, { workerData: config === 'idle-worker' ? 'idle' : 'busy' })
  // Let the worker say hello and get busy.
  w.once('message', () => setTimeout(() => measure(w), 300))
} else {
  measure(undefined)
}
