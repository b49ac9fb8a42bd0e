// Writes a larger .heapsnapshot from a real one: `copies` disjoint copies of
// its node graph (ids and edge targets offset, allocation stacks shared),
// with its meta, trace tree and strings. Node/edge/string distributions stay
// those V8 wrote, at a size V8 could only write with a far larger heap.
// Usage: node bench/import-scale.js BASE OUT COPIES. Prints {bytes}.
'use strict'
const fs = require('node:fs')

const [base, out, copiesArg] = process.argv.slice(2)
const copies = Number(copiesArg)
const s = JSON.parse(fs.readFileSync(base, 'utf8'))
const meta = s.snapshot.meta
const nw = meta.node_fields.length
const ew = meta.edge_fields.length
const idField = meta.node_fields.indexOf('id')
const toField = meta.edge_fields.indexOf('to_node')
const nodes = s.nodes
const edges = s.edges
let maxId = 0
for (let i = idField; i < nodes.length; i += nw) maxId = Math.max(maxId, nodes[i])
const idStride = maxId + 2 - (maxId % 2)

const fd = fs.openSync(out, 'w')
let buf = []
let pending = 0
function write(text) {
  buf.push(text)
  pending += text.length
  if (pending > 8 << 20) flush()
}
function flush() {
  fs.writeSync(fd, buf.join(''))
  buf = []
  pending = 0
}

const head = { ...s.snapshot, node_count: s.snapshot.node_count * copies, edge_count: s.snapshot.edge_count * copies }
write(`{"snapshot":${JSON.stringify(head)},\n"nodes":[`)
for (let c = 0; c < copies; c++) {
  const idOffset = c * idStride
  for (let i = 0; i < nodes.length; i += nw) {
    const rec = nodes.slice(i, i + nw)
    rec[idField] += idOffset
    write((c === 0 && i === 0 ? '' : ',') + rec.join(',') + (i % (nw * 8) === 0 ? '\n' : ''))
  }
}
write('],\n"edges":[')
for (let c = 0; c < copies; c++) {
  const toOffset = c * nodes.length
  for (let i = 0; i < edges.length; i += ew) {
    const rec = edges.slice(i, i + ew)
    rec[toField] += toOffset
    write((c === 0 && i === 0 ? '' : ',') + rec.join(',') + (i % (ew * 8) === 0 ? '\n' : ''))
  }
}
write('],\n')
for (const key of ['trace_function_infos', 'trace_tree', 'samples', 'locations']) {
  if (key in s) write(`"${key}":${JSON.stringify(s[key])},\n`)
}
write(`"strings":${JSON.stringify(s.strings)}}\n`)
flush()
fs.closeSync(fd)
console.log(JSON.stringify({ bytes: fs.statSync(out).size }))
