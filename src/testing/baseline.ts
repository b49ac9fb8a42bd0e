/**
 * Baselines: a committed `memory-budgets.json` that records each named
 * budget's measured value. A run with `TRACEMALLOC_UPDATE=1` writes the values
 * it measures; other runs fail a budget whose value grew beyond its
 * tolerance (10% by default). Test workers update the file under a lock, one
 * entry at a time, with atomic writes, so concurrent workers never lose or
 * corrupt each other's entries.
 *
 * File format (keys sorted, for readable diffs):
 * `{ "version": 1, "budgets": { "<test name> › <figure>": { "value", "mode", "samplingInterval", "tolerance"? } } }`
 * @module
 */
import { readJson, withFileLock, writeFileAtomic } from './files'

/** One recorded value. */
export interface BaselineEntry {
  /** Measured bytes when recorded. */
  value: number
  /** Capture mode of the measurement. */
  mode: 'sampled' | 'exact'
  /** Sampling interval, or null in exact mode. */
  samplingInterval: number | null
  /** A tolerance for this budget alone (0.25 = 25%), kept across updates once set by hand or by an option. */
  tolerance?: number
}

/** The baseline file's content. */
export interface BaselineFile {
  version: 1
  budgets: Record<string, BaselineEntry>
}

/** How a value compares with its baseline. */
export type BaselineVerdict =
  | { status: 'none' }
  | { status: 'recorded'; entry: BaselineEntry }
  | { status: 'within' | 'grew'; entry: BaselineEntry; allowed: number; tolerance: number }
  | { status: 'other-capture'; entry: BaselineEntry }

/** Reads and checks a baseline file; a missing file is an empty one. Errors name the file and the bad entry. */
export function readBaselines(path: string): BaselineFile {
  const raw = readJson<unknown>(path, { version: 1, budgets: {} })
  const bad = (what: string) => new Error(`${path}: ${what} (delete the entry or rerun with TRACEMALLOC_UPDATE=1)`)
  if (raw === null || typeof raw !== 'object' || (raw as BaselineFile).version !== 1 || typeof (raw as BaselineFile).budgets !== 'object' || (raw as BaselineFile).budgets === null) {
    throw bad('not a version 1 memory budgets file ({ "version": 1, "budgets": { ... } })')
  }
  for (const [k, e] of Object.entries((raw as BaselineFile).budgets)) {
    if (e === null || typeof e !== 'object' || typeof e.value !== 'number' || !Number.isFinite(e.value)) throw bad(`entry ${JSON.stringify(k)} has no numeric value`)
    if (e.mode !== 'sampled' && e.mode !== 'exact') throw bad(`entry ${JSON.stringify(k)} has mode ${JSON.stringify(e.mode)}`)
    if (e.tolerance !== undefined && !(typeof e.tolerance === 'number' && e.tolerance >= 0)) throw bad(`entry ${JSON.stringify(k)} has a bad tolerance ${JSON.stringify(e.tolerance)}`)
  }
  return raw as BaselineFile
}

function sorted(file: BaselineFile): BaselineFile {
  const budgets: Record<string, BaselineEntry> = {}
  for (const k of Object.keys(file.budgets).sort()) budgets[k] = file.budgets[k]!
  return { version: 1, budgets }
}

/** Records `entry` under `key`, merging with what other workers wrote meanwhile. */
export function recordBaseline(path: string, key: string, entry: BaselineEntry): void {
  withFileLock(path, () => {
    const file = readBaselines(path)
    const old = file.budgets[key]
    const tolerance = entry.tolerance ?? old?.tolerance
    file.budgets[key] = tolerance === undefined ? { value: entry.value, mode: entry.mode, samplingInterval: entry.samplingInterval } : { ...entry, tolerance }
    writeFileAtomic(path, `${JSON.stringify(sorted(file), null, 2)}\n`)
  })
}

/**
 * Slack added to every allowance, so values do not fail on noise: 4 kB, one
 * sampling interval, or in sampled mode three standard errors of a sampled
 * figure of `baseline` bytes (sampling is Poisson: about baseline / interval
 * samples, so a standard error of sqrt(baseline x interval) bytes),
 * whichever is largest.
 */
export function slack(samplingInterval: number | null, baseline = 0): number {
  const interval = samplingInterval ?? 0
  return Math.max(4096, interval, 3 * Math.sqrt(Math.max(0, baseline) * interval))
}

/**
 * Compares `value` with the baseline `key` (or records it when `update`).
 * A value grows beyond its baseline when it exceeds
 * `baseline * (1 + tolerance) + slack`.
 */
export function checkBaseline(
  path: string,
  key: string,
  value: number,
  capture: { mode: 'sampled' | 'exact'; samplingInterval: number | null },
  options: { update: boolean; tolerance: number; toleranceOverride?: number },
): BaselineVerdict {
  if (options.update) {
    const entry: BaselineEntry = { value, mode: capture.mode, samplingInterval: capture.samplingInterval }
    if (options.toleranceOverride !== undefined) entry.tolerance = options.toleranceOverride
    recordBaseline(path, key, entry)
    return { status: 'recorded', entry }
  }
  const entry = readBaselines(path).budgets[key]
  if (!entry) return { status: 'none' }
  if (entry.mode !== capture.mode || (entry.samplingInterval ?? null) !== capture.samplingInterval) return { status: 'other-capture', entry }
  const tolerance = options.toleranceOverride ?? entry.tolerance ?? options.tolerance
  const allowed = entry.value * (1 + tolerance) + slack(capture.samplingInterval, entry.value)
  return { status: value > allowed ? 'grew' : 'within', entry, allowed, tolerance }
}
