/**
 * `measure(fn)`: what a function allocates, peaks at and retains, with the
 * sites behind each figure. The one core that every budget, matcher and
 * runner integration of `tracemalloc/testing` is built on.
 * @module
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import * as v8 from 'node:v8'

import type { Snapshot } from '../snapshot'
import { isTracing, start, stop, takeSnapshot } from '../tracemalloc'
import { allocationSnapshot } from './allocations'
import { settings, type CaptureSettings } from './config'
import { forceGc, gcRoute } from './gc'
import { HeapWindow, type HeapFigures } from './heap-window'
import { enterScope, leaveScope } from './scope'
import { siteChanges, type Site } from './sites'

/** Options of {@link measure}. */
export interface MeasureOptions extends Partial<CaptureSettings> {
  /** A label for messages and reports (a runner passes the test's name). */
  name?: string
  /** The runner's object for the test being measured (runner integrations pass it, for the concurrency check). */
  test?: unknown
  /**
   * Filename patterns (`*` and `?` wildcards) of code whose allocations are
   * left out of `retained` and the sites, judged by each site's frame (the
   * most recent one that is not a builtin or Node's). Runner integrations
   * add their runner's own files.
   */
  ignore?: string[]
}

/** What {@link measure} found. All byte figures are numbers of bytes. */
export interface Measurement<T = unknown> {
  /** The label of the measurement. */
  name: string
  /** What `fn` returned (awaited). */
  result: T
  /** How the traces were captured. */
  mode: 'sampled' | 'exact'
  /** Sampling interval in bytes, or null in exact mode. */
  samplingInterval: number | null
  /**
   * Bytes allocated on the JavaScript heap while `fn` ran, collected ones
   * included: V8's heap accounting over the GCs in the window. Exact up to
   * what else ran JavaScript meanwhile. In exact mode, the allocation
   * tracker's total when that is larger (the heap's accounting can miss a
   * GC it was not told of).
   */
  allocated: number
  /**
   * High-water mark of the JavaScript heap while `fn` ran, above its size at
   * the start (after a full GC): the largest used size V8 saw before a GC or
   * when `fn` returned. It counts garbage not yet collected, as the heap held it.
   */
  peak: number
  /**
   * Traced bytes live after `fn` returned and a forced full GC, minus those
   * live before: an estimate in sampled mode, exact in exact mode.
   */
  retained: number
  /** Sites behind each figure, largest first (at most `top`; all of them for `retained`). */
  sites: {
    /** Sites that allocated in the window, collected objects included: exact mode only (null in sampled mode). */
    allocated: Site[] | null
    /** Sites whose objects were live after the final GC and not before, by bytes gained. */
    retained: Site[]
  }
  /** Traces live before `fn` ran (after a full GC). */
  before: Snapshot
  /** Traces live after `fn` ran (after a full GC). */
  after: Snapshot
  /** V8's own heap accounting of the window, and the heap-level retained bytes (untraced memory included). */
  heap: HeapFigures & {
    /** JS heap used after the closing full GC minus before the call, in bytes (untraced memory included). */
    retained: number
  }
  /** How GC was forced: `'inspector'` or `'expose-gc'`. */
  gc: 'inspector' | 'expose-gc'
}

function captureOf(options: MeasureOptions): CaptureSettings {
  const s = settings()
  return {
    mode: options.mode ?? s.mode,
    samplingInterval: options.samplingInterval ?? s.samplingInterval,
    nframe: options.nframe ?? s.nframe,
  }
}

let counter = 0

/**
 * A session of traced time: starts tracing when it is off (and stops it at
 * the end), or uses the running capture as it is.
 * @internal
 */
export class TracedSession {
  readonly capture: CaptureSettings
  readonly #owned: boolean
  /**
   * A referenced timer held while the session lasts. Exact mode ends V8's
   * allocation tracking when the event loop looks idle (its exit watchdog),
   * and awaiting a forced GC or a promise leaves no handle behind, so
   * without this hold tracking could end in the middle of a measurement.
   */
  readonly #hold: NodeJS.Timeout

  constructor(capture: CaptureSettings) {
    this.#owned = !isTracing()
    if (this.#owned) start(capture.nframe, { mode: capture.mode, samplingInterval: capture.samplingInterval })
    this.capture = capture
    this.#hold = setInterval(() => undefined, 2 ** 30)
  }

  /** Lets the current job end (V8 keeps WeakRef targets alive until then), forces a full GC, and takes a snapshot. */
  async settledSnapshot(): Promise<Snapshot> {
    await nextTurn()
    await forceGc()
    return takeSnapshot()
  }

  /** Stops tracing if this session started it. */
  close(): void {
    clearInterval(this.#hold)
    if (this.#owned) stop()
  }
}

/** Calls `fn` `times` times, awaiting each result that is a promise. */
export async function repeat(fn: () => unknown, times: number): Promise<unknown> {
  let last: unknown
  for (let i = 0; i < times; i++) {
    last = fn()
    if (last !== null && typeof last === 'object' && typeof (last as { then?: unknown }).then === 'function') last = await last
  }
  return last
}

/** A measurement in progress, from {@link beginMeasurement}. */
export interface OpenMeasurement {
  /** The label. */
  readonly name: string
  /** Ends the window: forces a full GC, takes the after snapshot and returns the figures. */
  end<T = undefined>(result?: T): Promise<Measurement<T>>
  /** Ends the window without figures (for a test that failed anyway). */
  abandon(): void
  /** True when a measurement of the same test started inside this default-budget window, which then gave way. */
  readonly superseded: boolean
}

/**
 * Starts measuring now, until `end()`: the split form of {@link measure}
 * that runner hooks use to give every test a default budget (`beforeEach`
 * begins, `afterEach` ends). Same rules as `measure`.
 */
export async function beginMeasurement(options: MeasureOptions & { soft?: boolean } = {}): Promise<OpenMeasurement> {
  const name = options.name ?? `measurement ${++counter}`
  const scope = enterScope(name, options.test, options.soft)
  const ignore = options.ignore ?? []
  let session: TracedSession | undefined
  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    session?.close()
    leaveScope(scope)
  }
  try {
    session = new TracedSession(captureOf(options))
    const before = await session.settledSnapshot()
    const allocBefore = allocationSnapshot()
    const usedBefore = v8.getHeapStatistics().used_heap_size
    const window = HeapWindow.open()
    const s = session
    return {
      name,
      get superseded() {
        return scope.superseded
      },
      abandon() {
        try {
          window.close()
        } catch {
          // closed by end() already
        }
        session?.close()
        closed = true
        scope.overlapped.length = 0
        leaveScope(scope)
      },
      async end<T>(result?: T): Promise<Measurement<T>> {
        if (closed) throw new Error(`measurement ${JSON.stringify(name)} already ended`)
        try {
          const figures = window.close()
          const after = await s.settledSnapshot()
          const allocAfter = allocationSnapshot()
          const usedAfter = v8.getHeapStatistics().used_heap_size
          const info = after.captureInfo
          const retained = siteChanges(after, before, ignore)
          const allocatedSites = allocBefore && allocAfter ? siteChanges(allocAfter, allocBefore, ignore).grown : null
          // Both figures are lower bounds: the heap's accounting misses what a GC
          // it was not told of collected, the tracker misses what no site recorded.
          const tracked = allocatedSites ? allocatedSites.reduce((a, site) => a + site.size, 0) : 0
          return {
            name,
            result: result as T,
            mode: info?.mode ?? s.capture.mode,
            samplingInterval: info?.samplingInterval ?? null,
            allocated: Math.max(figures.allocated, tracked),
            peak: figures.peak,
            retained: retained.net,
            sites: {
              allocated: allocatedSites,
              retained: retained.grown,
            },
            before,
            after,
            heap: { ...figures, retained: usedAfter - usedBefore },
            gc: gcRoute() ?? 'inspector',
          }
        } finally {
          close()
        }
      },
    }
  } catch (e) {
    close()
    throw e
  }
}

/**
 * Runs `fn` (sync or async) once and measures what it allocated, its peak
 * and what it retained, with the top sites of each.
 *
 * Tracing is started for the measurement in the mode of `options` (or the
 * configured default) and stopped after; when tracing is already on, the
 * running capture is used as it is. A full GC is forced before and after
 * (without `--expose-gc`). Measurements cannot overlap: see
 * {@link ConcurrentMeasurementError}.
 */
export async function measure<T>(fn: () => T | Promise<T>, options: MeasureOptions = {}): Promise<Measurement<Awaited<T>>> {
  if (typeof fn !== 'function') throw new TypeError(`fn must be a function, not ${fn === null ? 'null' : typeof fn}`)
  const open = await beginMeasurement(options)
  let result: Awaited<T>
  try {
    result = (await repeat(fn, 1)) as Awaited<T>
  } catch (e) {
    open.abandon()
    throw e
  }
  return open.end(result)
}
