/**
 * Budgets as functions: `limitMemory`, `limitAllocated`, `limitRetained`,
 * `limitLeaks` and `allocsPerRun`. Each runs the function, throws a
 * {@link MemoryBudgetError} with a full report when the budget is exceeded,
 * and returns what it measured otherwise.
 * @module
 */
import { judge, type BudgetOptions, type Verdict, checkFigure, MemoryBudgetError } from './budget'
import type { Figure } from './config'
import { detectGrowth, isLeak, type LeakOptions, type LeakReport } from './leaks'
import { measure, repeat, type Measurement, type MeasureOptions } from './measure'
import { formatBytes, parseBytes, type ByteLimit } from './units'

/** Options of the `limit*` functions: capture settings, a name, a baseline tolerance. */
export type LimitOptions = MeasureOptions & BudgetOptions

async function limitFigure<T>(figure: Figure, limit: ByteLimit, fn: () => T | Promise<T>, options: LimitOptions): Promise<Measurement<Awaited<T>>> {
  parseBytes(limit, 'limit')
  const m = await measure(fn, options)
  const v = checkFigure(m, figure, limit, options)
  if (v.error) throw v.error
  return m
}

/**
 * Runs `fn` and throws when its **peak** (the JS heap's high-water mark
 * while it ran, above the start) exceeds `limit`, as pytest-memray's
 * `limit_memory`. Returns the measurement.
 */
export function limitMemory<T>(limit: ByteLimit, fn: () => T | Promise<T>, options: LimitOptions = {}): Promise<Measurement<Awaited<T>>> {
  return limitFigure('peak', limit, fn, options)
}

/** Runs `fn` and throws when the bytes it **allocated** (collected ones included) exceed `limit`. */
export function limitAllocated<T>(limit: ByteLimit, fn: () => T | Promise<T>, options: LimitOptions = {}): Promise<Measurement<Awaited<T>>> {
  return limitFigure('allocated', limit, fn, options)
}

/** Runs `fn` and throws when the bytes it **retained** (live after a full GC) exceed `limit`. */
export function limitRetained<T>(limit: ByteLimit, fn: () => T | Promise<T>, options: LimitOptions = {}): Promise<Measurement<Awaited<T>>> {
  return limitFigure('retained', limit, fn, options)
}

/** Options of {@link limitLeaks}. */
export type LimitLeaksOptions = LeakOptions & BudgetOptions

/** Judges a leak report: fails when a site grows linearly by more than `limit` bytes per run. */
export function judgeLeaks(r: LeakReport, limit: ByteLimit, options: BudgetOptions = {}): Verdict & {
  /** The growing sites judged leaks: linear growth above the limit per run. */
  leaking: LeakReport['growing']
} {
  const limitBytes = parseBytes(limit, 'limit')
  const intervals = r.runs.length - 1
  const leaking = r.growing.filter((s) => isLeak(s, limitBytes, intervals))
  const worst = leaking[0]
  const measured = worst ? worst.perIteration : Math.max(0, ...r.growing.map((s) => s.perIteration))
  const sites = (worst ? leaking : r.growing).map((s) => ({ ...s, size: s.perIteration, count: (s.count / r.iterations) }))
  const v = judge({
    name: options.name ?? r.name,
    figure: 'leak',
    what: worst ? 'leaks: a site grows by' : 'has no site growing linearly; the fastest grows by',
    measured,
    limit,
    overLimit: worst !== undefined,
    baseline: false,
    mode: r.mode,
    samplingInterval: r.samplingInterval,
    details: [
      `per run, linearly, over ${r.iterations} runs after ${r.warmup} warmup runs (the limit is per run, per site)`,
      `live bytes of the top site at runs ${r.runs.join(', ')}: ${(worst ?? r.growing[0])?.sizes.map(formatBytes).join(', ') ?? 'none'}`,
    ],
    sites,
    sitesTitle: 'sites growing with the number of runs (bytes and objects per run)',
    sitesNote: null,
    sizeSuffix: '/run',
    snapshots: { first: r.first, last: r.last },
    options,
  })
  return { ...v, leaking }
}

/**
 * Runs `fn` `warmup + iterations` times and throws when any allocation site's
 * live bytes grow linearly with the number of runs by more than `limit`
 * bytes **per run** (see `leaks.ts` for the rule: caches that fill once do
 * not count). Returns the report.
 */
export async function limitLeaks(limit: ByteLimit, fn: () => unknown, options: LimitLeaksOptions = {}): Promise<LeakReport> {
  parseBytes(limit, 'limit')
  const r = await detectGrowth(fn, options)
  const v = judgeLeaks(r, limit, options)
  if (v.error) throw v.error
  return r
}

/** What {@link allocsPerRun} found. */
export interface AllocsPerRun {
  /** Bytes allocated per run, collected ones included (V8's heap accounting). */
  bytes: number
  /** Objects allocated per run: exact mode only (V8's allocation tracker), null in sampled mode. */
  objects: number | null
  /** The measurement of all runs together. */
  measurement: Measurement
}

/**
 * Like Go's `testing.AllocsPerRun`: runs `fn` once to warm up, then `runs`
 * times, and returns the average allocation per run.
 */
export async function allocsPerRun(fn: () => unknown, runs = 100, options: MeasureOptions = {}): Promise<AllocsPerRun> {
  if (typeof fn !== 'function') throw new TypeError(`fn must be a function, not ${fn === null ? 'null' : typeof fn}`)
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer, got ${String(runs)}`)
  await repeat(fn, 1)
  const m = await measure(() => repeat(fn, runs), options)
  const objects = m.sites.allocated ? m.sites.allocated.reduce((a, s) => a + s.count, 0) / runs : null
  return { bytes: m.allocated / runs, objects, measurement: m as Measurement }
}

export { MemoryBudgetError }
