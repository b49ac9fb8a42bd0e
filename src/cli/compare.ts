/**
 * `tracemalloc compare OLD NEW`: what grew between two snapshot files, as
 * `newSnapshot.compareTo(oldSnapshot, keyType, cumulative)` gives it, after
 * filters. `--fail-over SIZE` makes it a check: exit code 1 when the total
 * grew by more than SIZE.
 * @module
 */
import { formatCount, formatSize } from '../pyformat'
import { reportHeader, statisticLines } from '../report'
import { COMMON_USAGE, expectPositionals, printJson, printLines, sizeOption, type Verb } from './command'
import { EXIT_FAILED, EXIT_OK } from './errors'
import { loadInput } from './input'
import { filtered, statisticJson, statisticsArgs, statisticsArgsJson, STATISTICS_OPTIONS, STATISTICS_USAGE } from './statistics-options'
import { totals } from './totals'

/** The `compare` verb. */
export const compare: Verb = {
  name: 'compare',
  summary: 'differences between two snapshot files (what grew)',
  usage: `Usage: tracemalloc compare [options] OLD NEW

Prints the allocation sites whose memory changed most from OLD to NEW,
largest change first. Each file may be a tracemalloc snapshot, a V8
.heapprofile or a V8 .heapsnapshot.

Options:
${STATISTICS_USAGE}
  --fail-over SIZE  exit with code 1 when the total grew by more than SIZE
                    bytes (4096, 512KiB, 10MB, ...), after filters
${COMMON_USAGE}
`,
  options: { ...STATISTICS_OPTIONS, 'fail-over': { type: 'string' } },
  async run(values, positionals) {
    const args = statisticsArgs(values)
    const failOver = sizeOption(values, 'fail-over')
    const [oldFile, newFile] = expectPositionals(positionals, ['OLD', 'NEW'])
    const older = await loadInput(oldFile!)
    const newer = await loadInput(newFile!)
    const oldSnap = filtered(older.snapshot, args)
    const newSnap = filtered(newer.snapshot, args)
    const diffs = newSnap.compareTo(oldSnap, args.keyType, args.cumulative)
    const shown = diffs.slice(0, args.limit)
    const [oldTotal, newTotal] = [totals(oldSnap), totals(newSnap)]
    const growth = newTotal.size - oldTotal.size
    const failed = failOver !== undefined && growth > failOver
    if (values.json === true) {
      printJson({
        old: { file: oldFile, kind: older.kind, total: oldTotal },
        new: { file: newFile, kind: newer.kind, total: newTotal },
        ...statisticsArgsJson(args),
        sizeDiff: growth,
        countDiff: newTotal.count - oldTotal.count,
        failOver: failOver ?? null,
        failed,
        rowCount: diffs.length,
        rows: shown.map(statisticJson),
      })
    } else {
      const lines = [`tracemalloc: ${oldFile} (${older.kind}) -> ${newFile} (${newer.kind})`, ...reportHeader(newSnap, args.keyType)]
      lines.push(`[ Top ${shown.length} of ${diffs.length} differences${args.cumulative ? ', cumulative' : ''} ]`)
      for (const d of shown) lines.push(...statisticLines(d, args.keyType))
      lines.push(
        `Total: ${formatSize(newTotal.size, false)} (${formatSize(growth, true)}) in ` +
          `${formatCount(newTotal.count, false)} objects (${formatCount(newTotal.count - oldTotal.count, true)})`,
      )
      printLines(lines)
    }
    if (failed) {
      process.stderr.write(
        `tracemalloc: check failed: the total grew by ${formatSize(growth, false)} from ${oldFile} to ${newFile}, ` +
          `more than --fail-over ${formatSize(failOver, false)}\n`,
      )
      return EXIT_FAILED
    }
    return EXIT_OK
  },
}
