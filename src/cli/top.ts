/**
 * `tracemalloc top FILE`: the top allocation sites of a snapshot file, as
 * `snapshot.statistics(keyType, cumulative)` gives them, after filters.
 * @module
 */
import { formatCount, formatSize } from '../pyformat'
import { reportHeader, statisticLines } from '../report'
import { COMMON_USAGE, expectPositionals, printJson, printLines, type Verb } from './command'
import { loadInput } from './input'
import { filtered, statisticJson, statisticsArgs, statisticsArgsJson, STATISTICS_OPTIONS, STATISTICS_USAGE } from './statistics-options'
import { totals } from './totals'

/** The `top` verb. */
export const top: Verb = {
  name: 'top',
  summary: 'top allocation sites of a snapshot file',
  usage: `Usage: tracemalloc top [options] FILE

Prints the top allocation sites of FILE: a tracemalloc snapshot
(snapshot.dump, tracemalloc run -o), a V8 .heapprofile or a V8
.heapsnapshot (recognised by content).

Options:
${STATISTICS_USAGE}
${COMMON_USAGE}
`,
  options: STATISTICS_OPTIONS,
  async run(values, positionals) {
    const args = statisticsArgs(values)
    const [file] = expectPositionals(positionals, ['FILE'])
    const { snapshot, kind } = await loadInput(file!)
    const snap = filtered(snapshot, args)
    const stats = snap.statistics(args.keyType, args.cumulative)
    const shown = stats.slice(0, args.limit)
    const total = totals(snap)
    if (values.json === true) {
      printJson({ file, kind, ...statisticsArgsJson(args), total, rowCount: stats.length, rows: shown.map(statisticJson) })
      return 0
    }
    const lines = [`tracemalloc: ${file} (${kind})`, ...reportHeader(snap, args.keyType)]
    lines.push(`[ Top ${shown.length} of ${stats.length}${args.cumulative ? ', cumulative' : ''} ]`)
    for (const s of shown) lines.push(...statisticLines(s, args.keyType))
    lines.push(`Total: ${formatSize(total.size, false)} in ${formatCount(total.count, false)} objects, ${formatCount(total.traces, false)} traces`)
    printLines(lines)
    return 0
  },
}
