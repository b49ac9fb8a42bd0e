// Part of 20-duckdb-jsonl.sh: captures a live snapshot, exports it as JSON
// lines to DIR/snapshot.jsonl, and writes what the documented queries must
// answer to DIR/expected.json.
'use strict'
const { join, resolve } = require('node:path')
const { writeFileSync } = require('node:fs')
const tm = require(resolve(__dirname, '../..'))
const alloc = require(resolve(__dirname, '../../__test__/fixtures/export/alloc.js'))

const dir = process.argv[2]
tm.start(8)
alloc.bigArrays(24, 50000)
alloc.manyStrings(40000)
const snap = tm.takeSnapshot()
tm.stop()
snap.export(join(dir, 'snapshot.jsonl'), 'jsonl')

const lineno = snap
  .statistics('lineno')
  .filter((s) => s.traceback.length > 0)
  .slice(0, 10)
  .map((s) => {
    const f = s.traceback.at(0)
    return [f.filename, f.lineno, f.column ?? 0, f.functionName, s.size, s.count]
  })
// Files anywhere in a trace's stack, each trace counted once per file.
const files = new Map()
for (const trace of snap.traces) {
  const seen = new Set()
  for (let i = 0; i < trace.traceback.length; i++) seen.add(trace.traceback.at(i).filename)
  for (const f of seen) files.set(f, (files.get(f) ?? 0) + trace.size * trace.weight)
}
const total = snap.statistics('filename').reduce((a, s) => a + s.size, 0)
writeFileSync(join(dir, 'expected.json'), JSON.stringify({ lineno, files: Object.fromEntries(files), traces: snap.traces.length, total }))
console.log(`exported ${snap.traces.length} traces (${total} bytes) to ${join(dir, 'snapshot.jsonl')}`)
