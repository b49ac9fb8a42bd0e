/**
 * The JSON report of every measurement, for dashboards: written to
 * `TRACEMALLOC_RESULTS` (or `configure({ resultsFile })`) as
 * `{ "version": 1, "measurements": { "<key>": { ... } } }`, one entry per
 * checked figure, replaced when the same key is measured again. Workers
 * merge their entries under a lock, with atomic writes.
 * @module
 */
import { readJson, withFileLock, writeFileAtomic } from './files'

/** One checked figure. */
export interface ResultEntry {
  /** The test (or measurement) name. */
  name: string
  /** `allocated`, `peak`, `retained`, `leak` (bytes per iteration) or `allocsPerRun` (bytes per run). */
  figure: string
  /** Measured bytes. */
  value: number
  /** The limit in bytes, or null when only a baseline applied. */
  limit: number | null
  /** The baseline value, when one was compared. */
  baseline: number | null
  /** Whether the check passed. */
  pass: boolean
  /** Capture mode and interval. */
  mode: 'sampled' | 'exact'
  samplingInterval: number | null
  /** Snapshot files written for a failure. */
  files: string[]
  /** When, in ms since the epoch, and by which process. */
  time: number
  pid: number
}

/** Adds or replaces `key` in the results file. */
export function recordResult(path: string, key: string, entry: ResultEntry): void {
  withFileLock(path, () => {
    const raw = readJson<{ version?: number; measurements?: Record<string, ResultEntry> }>(path, {})
    const measurements = raw.version === 1 && raw.measurements && typeof raw.measurements === 'object' ? raw.measurements : {}
    measurements[key] = entry
    const out: Record<string, ResultEntry> = {}
    for (const k of Object.keys(measurements).sort()) out[k] = measurements[k]!
    writeFileAtomic(path, `${JSON.stringify({ version: 1, measurements: out }, null, 2)}\n`)
  })
}
