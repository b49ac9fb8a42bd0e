// Type-checked (never run) in a consumer project under several `module` /
// `moduleResolution` settings, without skipLibCheck, against the packed tarball.
import * as tracemalloc from 'tracemalloc'
import { Filter, Snapshot, type KeyType, type Statistic, type StatisticDiff } from 'tracemalloc'

tracemalloc.start(5, { samplingInterval: 4096 })
const snapshot: Snapshot = tracemalloc.takeSnapshot()
const key: KeyType = 'lineno'
const stats: Statistic[] = snapshot.filterTraces([new Filter(true, '*.js')]).statistics(key)
const diff: StatisticDiff[] = snapshot.compareTo(new Snapshot([[0, 10, [['a.js', 1]], 1]], 1), 'filename')
// The generated binding's types reach consumers through Snapshot.native.
const native: Snapshot['native'] = snapshot.native
export const figures: Array<number | undefined> = [stats[0]?.size, diff[0]?.sizeDiff, tracemalloc.getTracedMemory()[1]]
export { native }
