// Type-checked (not run) by `npm run typecheck`: the package's own typings,
// as a consumer sees them through `import ... from 'tracemalloc'`.
import { Filter, Snapshot, type ExportFormat, type KeyType, type Statistic } from 'tracemalloc'

const snapshot: Snapshot = new Snapshot([[0, 10, [['a.js', 1]], 1]], 1)
const key: KeyType = 'lineno'
const stats: Statistic[] = snapshot.filterTraces([new Filter(true, '*.js')]).statistics(key)
export const first: number | undefined = stats[0]?.size

const format: ExportFormat = 'flamegraph'
export const exported: Promise<number> = snapshot.exportAsync('heap.html', format, { base: snapshot, title: 'diff' })
