/**
 * tracemalloc for Node.js: CPython's `tracemalloc` API, in camelCase, on a
 * Rust engine.
 * @module
 */
export { Frame, type RawFrame } from './src/frame'
export { Traceback, type FormatOptions } from './src/traceback'
export { getline, clearLineCache, type GetLine } from './src/linecache'
export { Trace, Traces, type RawTrace } from './src/trace'
export { Statistic, StatisticDiff } from './src/statistic'
export { Filter, DomainFilter, normalizeFilename } from './src/filter'
export { Snapshot, type KeyType } from './src/snapshot'
export type { SnapshotColumns } from './src/columns'
export { formatSize } from './src/pyformat'
export type { CaptureInfo, CaptureQuality } from './src/snapshot'
export type { SnapshotMeta } from './src/meta'
export type { SnapshotPath } from './src/files/native-format'
export type { ImportOptions, HeapProfileOptions } from './src/files/import'
export { EXPORT_FORMATS, type ExportFormat, type ExportOptions } from './src/files/export'
export {
  start,
  stop,
  isTracing,
  clearTraces,
  getTracebackLimit,
  getTracedMemory,
  resetPeak,
  getTracemallocMemory,
  getObjectTraceback,
  takeSnapshot,
  track,
  untrack,
  DEFAULT_SAMPLING_INTERVAL,
  USER_DOMAIN_BASE,
  type StartOptions,
} from './src/tracemalloc'
