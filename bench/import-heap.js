// Writes a V8 heap snapshot of a heap built to resemble a server's: about
// `units` records, each an object with a few fields, a string, a small array
// and a closure, held in a Map and in arrays. Usage:
//   node --max-old-space-size=N bench/import-heap.js OUT UNITS [tracked]
// With "tracked", V8's allocation tracker runs while the records are made,
// so the snapshot carries allocation stacks. Prints {bytes, ms}.
'use strict'
const fs = require('node:fs')
const inspector = require('node:inspector')
const v8 = require('node:v8')

const [out, unitsArg, mode] = process.argv.slice(2)
const units = Number(unitsArg)

class Session {
  constructor(id, user) {
    this.id = id
    this.user = user
    this.created = id * 1000
    this.tags = [id & 7, id & 15]
  }
}

function makeUser(i) {
  return { name: `user-${i}`, email: `u${i}@example.com`, score: i % 97, active: (i & 1) === 0 }
}

function makeHandler(i) {
  return () => i
}

function build(n) {
  const sessions = new Map()
  const handlers = []
  for (let i = 0; i < n; i++) {
    sessions.set(i, new Session(i, makeUser(i)))
    if (i % 4 === 0) handlers.push(makeHandler(i))
  }
  return { sessions, handlers }
}

let session
if (mode === 'tracked') {
  session = new inspector.Session()
  session.connect()
  session.post('HeapProfiler.enable')
  session.post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true })
}
globalThis.kept = build(units)
const start = Date.now()
v8.writeHeapSnapshot(out)
const ms = Date.now() - start
if (session) {
  session.post('HeapProfiler.stopTrackingHeapObjects')
  session.disconnect()
}
console.log(JSON.stringify({ bytes: fs.statSync(out).size, ms }))
