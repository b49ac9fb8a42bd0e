/**
 * Leak detection: run a function many times and find the allocation sites
 * whose live bytes grow in proportion to the number of runs.
 *
 * After `warmup` runs, live traces are snapshotted (after a full GC) at
 * `points + 1` evenly spaced run counts. For each site, a least-squares line
 * through (runs, live bytes) gives its growth per run. A site leaks when
 * that slope is above the limit, the slope over the later half of the points
 * is too (a cache that filled up early has stopped growing), and it grew in
 * at least all but one of the intervals (a one-off allocation, or a single
 * new sample in sampled mode, grows in one). One-off caches therefore do not
 * count, however large. Sites with no frame of the program's own (Node's
 * timers and streams, builtins called from nowhere) are the runner's and
 * tracemalloc's own activity between runs: they are reported apart and never
 * judged.
 * @module
 */
import * as v8 from 'node:v8'

import { isNodeInternalFile as isNodeInternal } from '../native'
import type { Snapshot } from '../snapshot'
import { settings, type CaptureSettings } from './config'
import { repeat, TracedSession } from './measure'
import { enterScope, leaveScope } from './scope'
import { siteKey, sitesOf, type Site } from './sites'

/** Options of leak detection. */
export interface LeakOptions extends Partial<CaptureSettings> {
  /** Runs measured after the warmup (default 100). */
  iterations?: number
  /** Runs before the first snapshot, to fill caches and settle the JIT (default 3). */
  warmup?: number
  /** Intervals between snapshots (default 4: five snapshots). */
  points?: number
  /** A label for messages (a runner passes the test's name). */
  name?: string
  /** The runner's object for the test being measured (runner integrations pass it, for the concurrency check). */
  test?: unknown
  /** Filename patterns of code whose allocations are left out (see `MeasureOptions.ignore`). */
  ignore?: string[]
}

/** A site's growth across the runs. */
export interface GrowingSite extends Site {
  /** Least-squares growth in bytes per run, over all points (`size` is the growth over all measured runs). */
  perIteration: number
  /** The same over the later half of the points. */
  latePerIteration: number
  /** Live bytes of the site at each point. */
  sizes: number[]
  /** Intervals in which the site grew. */
  grewIn: number
}

/** What leak detection found. */
export interface LeakReport {
  /** The budget's name (the test's, by default). */
  name: string
  /** The capture mode the runs were traced in. */
  mode: 'sampled' | 'exact'
  /** Mean bytes between samples in sampled mode; null in exact mode. */
  samplingInterval: number | null
  /** Runs after the warmup. */
  iterations: number
  /** Runs before the first snapshot, so one-off caches fill up first. */
  warmup: number
  /** Runs done after the warmup at each snapshot (first is 0). */
  runs: number[]
  /** Sites whose live bytes grew overall, by growth per run, largest first. */
  growing: GrowingSite[]
  /** Growing sites without a frame of the program's own (Node internals, builtins): not judged. */
  ignored: GrowingSite[]
  /** JS heap used after a full GC at each point (untraced memory included), and its growth per run. */
  heap: {
    /** JS heap used after a full GC at each snapshot, in bytes. */
    used: number[]
    /** Least-squares growth of `used` per run, in bytes. */
    perIteration: number
  }
  /** The snapshot taken after the warmup. */
  first: Snapshot
  /** The snapshot taken after the last run. */
  last: Snapshot
}

/** Least-squares slope of y on x. */
export function slope(x: readonly number[], y: readonly number[]): number {
  const n = x.length
  if (n < 2) return 0
  const mx = x.reduce((a, b) => a + b, 0) / n
  const my = y.reduce((a, b) => a + b, 0) / n
  let sxy = 0
  let sxx = 0
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my)
    sxx += (x[i]! - mx) ** 2
  }
  return sxx === 0 ? 0 : sxy / sxx
}

/** True when a site grows linearly faster than `limit` bytes per run (see the module's rule). */
export function isLeak(s: GrowingSite, limit: number, intervals: number): boolean {
  return s.perIteration > limit && s.latePerIteration > limit && s.grewIn >= Math.max(1, intervals - 1)
}

function checkCount(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new RangeError(`${what} must be an integer >= ${min}, got ${String(value)}`)
  return value
}

let counter = 0

/** Runs `fn` `warmup + iterations` times and reports each site's growth per run. */
export async function detectGrowth(fn: () => unknown, options: LeakOptions = {}): Promise<LeakReport> {
  if (typeof fn !== 'function') throw new TypeError(`fn must be a function, not ${fn === null ? 'null' : typeof fn}`)
  const iterations = checkCount(options.iterations ?? 100, 'iterations', 2)
  const warmup = checkCount(options.warmup ?? 3, 'warmup', 0)
  const points = checkCount(options.points ?? 4, 'points', 2)
  if (points > iterations) throw new RangeError(`points (${points}) cannot exceed iterations (${iterations})`)
  const s = settings()
  const capture: CaptureSettings = { mode: options.mode ?? s.mode, samplingInterval: options.samplingInterval ?? s.samplingInterval, nframe: options.nframe ?? s.nframe }
  const name = options.name ?? `leak check ${++counter}`
  const scope = enterScope(name, options.test)
  let session: TracedSession | undefined
  try {
    session = new TracedSession(capture)
    await repeat(fn, warmup)
    const runs: number[] = []
    const snaps: Snapshot[] = []
    const used: number[] = []
    let done = 0
    for (let p = 0; p <= points; p++) {
      const target = Math.round((iterations * p) / points)
      await repeat(fn, target - done)
      done = target
      snaps.push(await session.settledSnapshot())
      used.push(v8.getHeapStatistics().used_heap_size)
      runs.push(done)
    }
    const perSnapshot = snaps.map((snap) => new Map(sitesOf(snap, options.ignore).map((site) => [siteKey(site), site])))
    const keys = new Set<string>()
    for (const m of perSnapshot) for (const k of m.keys()) keys.add(k)
    const late = Math.floor(points / 2)
    const growing: GrowingSite[] = []
    for (const k of keys) {
      const sizes = perSnapshot.map((m) => m.get(k)?.size ?? 0)
      const counts = perSnapshot.map((m) => m.get(k)?.count ?? 0)
      const last = sizes[sizes.length - 1]!
      if (last <= sizes[0]!) continue
      const sample = perSnapshot.find((m) => m.has(k))!.get(k)!
      let grewIn = 0
      for (let i = 1; i < sizes.length; i++) if (sizes[i]! > sizes[i - 1]!) grewIn++
      const perIteration = slope(runs, sizes)
      growing.push({
        ...sample,
        size: last - sizes[0]!,
        count: counts[counts.length - 1]! - counts[0]!,
        perIteration,
        latePerIteration: slope(runs.slice(late), sizes.slice(late)),
        sizes,
        grewIn,
      })
    }
    growing.sort((a, b) => b.perIteration - a.perIteration)
    const ignored = growing.filter((g) => isNodeInternal(g.file))
    const info = snaps[0]!.captureInfo
    return {
      name,
      mode: info?.mode ?? capture.mode,
      samplingInterval: info?.samplingInterval ?? null,
      iterations,
      warmup,
      runs,
      growing: growing.filter((g) => !isNodeInternal(g.file)),
      ignored,
      heap: { used, perIteration: slope(runs, used) },
      first: snaps[0]!,
      last: snaps[snaps.length - 1]!,
    }
  } finally {
    session?.close()
    leaveScope(scope)
  }
}
