#!/usr/bin/env node
// Builds snapshots from bundled trace files (a web app before and after a
// cache leak) and prints the top statistics and the growth between them.
'use strict'
const { readFileSync } = require('node:fs')
const { join } = require('node:path')
const { Snapshot } = require('tracemalloc')

function load(name) {
  const { traces, tracebackLimit } = JSON.parse(readFileSync(join(__dirname, 'data', name), 'utf8'))
  return new Snapshot(traces, tracebackLimit)
}

const before = load('before.json')
const after = load('after.json')

console.log(`[ Top 10 by line: ${after.traces.length} traces ]`)
for (const stat of after.statistics('lineno').slice(0, 10)) console.log(String(stat))

console.log('\n[ Top 5 growth by function since before.json ]')
for (const diff of after.compareTo(before, 'function').slice(0, 5)) console.log(String(diff))

const biggest = after.statistics('traceback')[0]
console.log(`\n[ Biggest traceback: ${biggest.count} blocks, ${biggest.size} bytes ]`)
for (const line of biggest.traceback.format()) console.log(line)
