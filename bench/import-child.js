// One measurement of `npm run bench -- import`, in a fresh process so that
// its peak RSS is its own: parses FILE with PARSER ("tracemalloc" or
// "memlab") and prints {ms, cpuMs, peakRss, count} (peakRss in bytes, VmHWM).
'use strict'
const fs = require('node:fs')
const path = require('node:path')

const [parser, file] = process.argv.slice(2)

function peakRss() {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024
}

async function main() {
  const start = process.hrtime.bigint()
  const cpu = process.cpuUsage()
  let count
  if (parser === 'tracemalloc') {
    const { Snapshot } = require(path.resolve(__dirname, '..', 'dist'))
    count = Snapshot.fromHeapSnapshot(file).traces.length
  } else if (parser === 'memlab') {
    const { utils } = require(path.resolve(__dirname, 'peers', 'node_modules', '@memlab', 'core'))
    const snap = await utils.getSnapshotFromFile(file, { buildNodeIdIndex: false })
    count = snap.nodes.length
  } else {
    throw new Error(`unknown parser ${parser}`)
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  const used = process.cpuUsage(cpu)
  const cpuMs = (used.user + used.system) / 1e3
  console.log(JSON.stringify({ ms, cpuMs, peakRss: peakRss(), count }))
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
