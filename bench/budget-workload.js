// One run of a budgeted test for `npm run bench -- stability`, in a fresh
// process: `node bench/budget-workload.js <workload> <mode>` prints the
// figures as JSON. Mode: `exact`, or a sampling interval in bytes.
'use strict'
const { measure, detectGrowth } = require('../dist/src/testing/index.js')

const kept = []
let sink

// 200 arrays of 1,000 small integers kept (8,048 B each: 1,609,600 B), and
// 2,000 more dropped: 17,705,600 B allocated in all.
function arrays() {
  for (let i = 0; i < 2200; i++) {
    const a = new Array(1000).fill(i & 1023)
    if (i % 11 === 0) kept.push(a)
    else sink = a
  }
}

// What a unit under test often does: build records, serialize and parse
// them (garbage), keep an index of the results.
function records() {
  const index = new Map()
  for (let i = 0; i < 3000; i++) {
    const rec = { id: i, name: `item-${i}`, tags: ['a', 'b', String(i % 7)], score: i / 7 }
    const copy = JSON.parse(JSON.stringify(rec))
    index.set(copy.id, copy)
  }
  kept.push(index)
}

const leakList = []
// 560 B kept per call: a JSArray (32 B) and 64 small integers (16 + 512 B).
function leaky() {
  leakList.push(new Array(64).fill(1))
}

async function main() {
  const [workload, modeArg] = process.argv.slice(2)
  const capture = modeArg === 'exact' ? { mode: 'exact' } : { mode: 'sampled', samplingInterval: Number(modeArg) }
  const t0 = process.hrtime.bigint()
  let out
  if (workload === 'leak') {
    const r = await detectGrowth(leaky, { ...capture, iterations: 100, warmup: 3 })
    const site = r.growing.find((s) => s.function === 'leaky')
    out = { leakPerRun: site ? site.perIteration : 0 }
  } else {
    const fn = workload === 'arrays' ? arrays : records
    fn() // a warm-up call, as a test file's earlier tests would do
    const m = await measure(fn, capture)
    out = { allocated: m.allocated, peak: m.peak, retained: m.retained }
  }
  out.ms = Number(process.hrtime.bigint() - t0) / 1e6
  process.stdout.write(JSON.stringify(out))
  process.exit(0)
}
main()
