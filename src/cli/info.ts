/**
 * `tracemalloc info FILE`: what a snapshot file holds: its kind, how it was
 * captured (metadata), and its totals.
 * @module
 */
import { statSync } from 'node:fs'

import { formatCount, formatSize } from '../pyformat'
import { COMMON_USAGE, expectPositionals, printJson, printLines, type Verb } from './command'
import { loadInput } from './input'
import { totals } from './totals'

/** The `info` verb. */
export const info: Verb = {
  name: 'info',
  summary: 'metadata and totals of a snapshot file',
  usage: `Usage: tracemalloc info [options] FILE

Prints what FILE (a tracemalloc snapshot, a V8 .heapprofile or a V8
.heapsnapshot) holds: how it was captured (mode, sampling interval, Node.js
version, process id, time, origin), its traceback limit, and its totals
(bytes, objects, traces, files, sites).

Options:
${COMMON_USAGE}
`,
  options: {},
  async run(values, positionals) {
    const [file] = expectPositionals(positionals, ['FILE'])
    const { snapshot, kind } = await loadInput(file!)
    const total = totals(snapshot)
    const files = snapshot.statistics('filename').length
    const sites = snapshot.statistics('lineno').length
    const fileBytes = statSync(file!).size
    const capture = snapshot.captureInfo
    if (values.json === true) {
      printJson({
        file,
        kind,
        fileBytes,
        tracebackLimit: snapshot.tracebackLimit,
        captureInfo: capture,
        extraMeta: snapshot.extraMeta,
        total: { ...total, files, sites },
      })
      return 0
    }
    const lines = [`${file}: ${kind} file, ${formatSize(fileBytes, false)}`]
    if (capture === null) lines.push('  capture:         unknown (built from data)')
    else {
      lines.push(`  mode:            ${capture.mode}`)
      if (capture.samplingInterval !== null) lines.push(`  interval:        ${formatSize(capture.samplingInterval, false)}`)
      if (capture.nodeVersion !== null) lines.push(`  node:            ${capture.nodeVersion}`)
      if (capture.pid !== null) lines.push(`  pid:             ${capture.pid}`)
      if (capture.time !== null) lines.push(`  time:            ${new Date(capture.time).toISOString()}`)
      if (capture.origin !== null) lines.push(`  origin:          ${capture.origin}`)
    }
    for (const [k, v] of Object.entries(snapshot.extraMeta)) lines.push(`  ${`${k}:`.padEnd(16)} ${JSON.stringify(v)}`)
    lines.push(`  traceback limit: ${snapshot.tracebackLimit}`)
    lines.push(`  total:           ${formatSize(total.size, false)} in ${formatCount(total.count, false)} objects`)
    lines.push(`  traces:          ${formatCount(total.traces, false)}, ${formatCount(files, false)} files, ${formatCount(sites, false)} sites`)
    printLines(lines)
    return 0
  },
}
