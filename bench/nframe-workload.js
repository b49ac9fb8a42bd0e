// One measured run of the nframe bench, in a fresh process:
//   node nframe-workload.js <workload> <nframe | none>
// Parses real code with a real parser (acorn, or typescript's scanner and
// parser), keeping the trees, from a function of this file: the "user
// code" that a traceback must reach to be useful. Prints JSON: wall time of
// the work and of one takeSnapshot(), and the share of traced bytes whose
// traceback reaches that function.
'use strict'
const tm = require('tracemalloc')

const [workload, depth] = process.argv.slice(2)
const nframe = depth === 'none' ? 0 : Number(depth)

// Nested code, so that recursive descent goes deep.
function source(n) {
  const parts = []
  for (let i = 0; i < n; i++) {
    parts.push(`function f${i}(a, b) { if (a) { for (const x of b) { while (x) { try { return [a, { k: (x + ${i}) * (b[0] - 1) }] } catch (e) { throw e } } } } return null }`)
  }
  return parts.join('\n')
}

const keep = []
module.exports = keep

function userParses(parse, src, times) {
  for (let i = 0; i < times; i++) keep.push(parse(src))
}

let parse
if (workload === 'acorn') {
  const acorn = require('acorn')
  parse = (src) => acorn.parse(src, { ecmaVersion: 2022 })
} else {
  const ts = require('typescript')
  parse = (src) => ts.createSourceFile('x.ts', src, ts.ScriptTarget.ES2022, true)
}
const src = source(400)
if (nframe > 0) tm.start(nframe)
const t0 = process.hrtime.bigint()
userParses(parse, src, workload === 'acorn' ? 40 : 20)
const t1 = process.hrtime.bigint()
const out = { ms: Number(t1 - t0) / 1e6, snapshotMs: 0, reach: null }
if (nframe > 0) {
  const snap = tm.takeSnapshot()
  out.snapshotMs = Number(process.hrtime.bigint() - t1) / 1e6
  let all = 0
  let reached = 0
  for (const s of snap.statistics('traceback')) {
    all += s.size
    if ([...s.traceback].some((f) => f.filename === __filename && f.functionName === 'userParses')) reached += s.size
  }
  out.reach = all ? reached / all : 0
}
console.log(JSON.stringify(out))
