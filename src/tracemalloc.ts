/**
 * The module API of CPython's `tracemalloc`, for a live Node.js process:
 * `start`, `stop`, `takeSnapshot` and the rest, plus `track`/`untrack` for
 * memory that JavaScript cannot see (native buffers, pools).
 * @module
 */
import {
  storeClear,
  storeClearDomain,
  storeEpoch,
  storeIntern,
  storeMemory,
  storeResetPeak,
  storeSnapshot,
  storeTrack,
  storeTracedMemory,
  storeUntrack,
} from './native'
import * as v8 from 'node:v8'
import { isMainThread, threadId } from 'node:worker_threads'

import { TableBuilder } from './columns'
import { parseRawFrame, type RawFrame } from './frame'
import { ExactTracker } from './capture/exact'
import { PeakTracker } from './capture/peak'
import { Sampler } from './capture/sampler'
import { WorkerHub } from './capture/workers'
import { currentStack } from './capture/stack'
import { Frame } from './frame'
import { jsTypeName } from './jstype'
import { rejectUnknownKeys } from './options'
import { Snapshot, type CaptureInfo } from './snapshot'
import { Traceback } from './traceback'

/** The default sampling interval in bytes (see the README's overhead table). */
export const DEFAULT_SAMPLING_INTERVAL = 32 * 1024

/** Domains from here up are for `track()`; below are JavaScript heaps (0: main thread, n: worker threadId). */
export const USER_DOMAIN_BASE = 2 ** 31

/** Options of {@link start}. */
export interface StartOptions {
  /**
   * `'sampled'` (default): V8's sampling heap profiler, with sizes and counts
   * estimated from random samples. `'exact'`: V8's allocation tracker, every
   * object with its exact size, at a large cost in speed.
   */
  mode?: 'sampled' | 'exact'
  /** Mean bytes between samples in sampled mode (default {@link DEFAULT_SAMPLING_INTERVAL}). */
  samplingInterval?: number
  /**
   * Turn off TurboFan inlining so that inlined functions are charged to
   * themselves rather than to their caller. It slows call-heavy code
   * (1.5x to 2.5x measured) and cannot be undone for the life of the process.
   */
  preciseFrames?: boolean
  /** Parse sampling profiles on a helper thread (default: true on the main thread, false in workers). */
  offload?: boolean
  /**
   * Also trace every worker thread created from now on, from its first
   * line, each into the domain of its threadId (main thread only). A
   * worker's traces outlive it until `clearTraces()`.
   */
  workers?: boolean
  /**
   * Keep frames as V8 reports them: builtins such as `join` or `replace`
   * and VM states as `<unknown>` frames, Node's own code as `node:` frames.
   * By default each is folded into its nearest caller of user code, the way
   * CPython charges a C function to the Python line that called it, and the
   * caller's function name keeps their names: `renderPage (via join)`,
   * `loadTable (via require > … > JSONParse)`.
   */
  rawFrames?: boolean
}

interface Tracing {
  nframe: number
  mode: 'sampled' | 'exact'
  interval: number
  capture: Sampler | ExactTracker
  peak: PeakTracker
  workers: WorkerHub | undefined
}

let tracing: Tracing | undefined
let tracebackLimit = 1

/**
 * Drops traces: all of them on the main thread (as CPython does), only this
 * thread's own heap in a worker, whose domain is its threadId.
 */
function clearStore(): void {
  if (isMainThread) storeClear()
  else storeClearDomain(threadId)
}

const FRAMES_MESSAGE = 'the number of frames must be in range [1; 65535]'

function checkNframe(nframe: unknown): number {
  if (typeof nframe !== 'number') throw new TypeError(`nframe must be an integer, not ${jsTypeName(nframe)}`)
  if (!Number.isInteger(nframe)) throw new TypeError(`nframe must be an integer, got ${nframe}`)
  if (nframe < 1 || nframe > 65535) throw new RangeError(FRAMES_MESSAGE)
  return nframe
}

/** Every key of {@link StartOptions} (the type makes a missing or extra one a compile error). */
const START_OPTIONS: readonly string[] = Object.keys({
  mode: true,
  samplingInterval: true,
  preciseFrames: true,
  offload: true,
  workers: true,
  rawFrames: true,
} satisfies Record<keyof StartOptions, true>)

function checkOptions(options: unknown): Required<StartOptions> {
  if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, not ${jsTypeName(options)}`)
  rejectUnknownKeys(options, START_OPTIONS, 'option', 'start()')
  const o = options as StartOptions
  const mode = o.mode ?? 'sampled'
  if (mode !== 'sampled' && mode !== 'exact') throw new RangeError(`options.mode must be 'sampled' or 'exact', not ${String(mode)}`)
  const interval = o.samplingInterval ?? DEFAULT_SAMPLING_INTERVAL
  if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 1 || interval > 2 ** 30) {
    throw new RangeError(`options.samplingInterval must be an integer number of bytes in [1, 2^30], got ${String(interval)}`)
  }
  if (o.workers && !isMainThread) throw new RangeError('options.workers can only be used on the main thread')
  return {
    mode,
    samplingInterval: interval,
    preciseFrames: Boolean(o.preciseFrames),
    offload: o.offload ?? isMainThread,
    workers: Boolean(o.workers),
    rawFrames: Boolean(o.rawFrames),
  }
}

/**
 * Starts tracing JavaScript allocations, keeping up to `nframe` frames per
 * traceback (CPython's `start`). Starting while tracing does nothing, even
 * with another `nframe`: `stop()` first to change it. Sampled mode throws
 * when another client (`node --heap-prof`, `@datadog/pprof`, DevTools)
 * already runs V8's sampling heap profiler, which it would otherwise share.
 */
export function start(nframe = 1, options: StartOptions = {}): void {
  const n = checkNframe(nframe)
  const opts = checkOptions(options)
  if (tracing) return
  if (opts.preciseFrames) v8.setFlagsFromString('--no-turbo-inlining')
  // Throws, leaving the store alone, when V8's sampler is another client's.
  const capture =
    opts.mode === 'exact'
      ? new ExactTracker(n, threadId, opts.rawFrames)
      : new Sampler({ nframe: n, interval: opts.samplingInterval, domain: threadId, offload: opts.offload, rawFrames: opts.rawFrames })
  clearStore()
  tracebackLimit = n
  const workers = opts.workers
    ? new WorkerHub({ nframe: n, mode: opts.mode, samplingInterval: opts.samplingInterval, rawFrames: opts.rawFrames })
    : undefined
  tracing = { nframe: n, mode: opts.mode, interval: opts.samplingInterval, capture, peak: new PeakTracker(), workers }
}

/** Stops tracing and clears every trace (CPython's `stop`). The traceback limit stays. */
export function stop(): void {
  const t = tracing
  if (!t) return
  tracing = undefined
  t.workers?.close()
  t.peak.close()
  t.capture.close()
  clearStore()
}

/** True while tracing. */
export function isTracing(): boolean {
  return tracing !== undefined
}

/** The `nframe` of the last `start()` (1 before any), even after `stop()`. Never throws. */
export function getTracebackLimit(): number {
  return tracebackLimit
}

function sync(t: Tracing): void {
  t.capture.sync()
  t.workers?.sync()
  t.peak.afterSync(storeTracedMemory()[0]!)
}

/**
 * Drops every trace and resets current and peak to 0 (CPython's
 * `clear_traces`); tracing goes on. Does nothing when not tracing.
 */
export function clearTraces(): void {
  const t = tracing
  if (!t) return
  t.capture.restart()
  t.workers?.clear()
  clearStore()
  t.peak.reset(0)
}

/**
 * `[current, peak]` traced bytes, over every domain (CPython's
 * `get_traced_memory`); `[0, 0]` when not tracing. In sampled mode both are
 * estimates, and reading them syncs with V8, which forces a full GC.
 */
export function getTracedMemory(): [current: number, peak: number] {
  const t = tracing
  if (!t) return [0, 0]
  sync(t)
  const [current, peak] = storeTracedMemory()
  return [current!, peak!]
}

/** Sets the peak to the current traced size (CPython's `reset_peak`). Syncs first. */
export function resetPeak(): void {
  const t = tracing
  if (!t) return
  t.capture.sync()
  storeResetPeak()
  t.peak.reset(storeTracedMemory()[0]!)
}

/** Bytes the engine uses to store traces; 0 when not tracing (as CPython 3.14+). */
export function getTracemallocMemory(): number {
  return tracing ? storeMemory() : 0
}

/**
 * Where `obj` was allocated (CPython's `get_object_traceback`), or `null`
 * when it was not traced. Only exact mode can answer, at the cost of a heap
 * snapshot when the object is newer than the last one: V8 offers no way to
 * map an object to its sample, so sampled mode always returns `null`.
 */
export function getObjectTraceback(obj: unknown): Traceback | null {
  const t = tracing
  if (!t || !(t.capture instanceof ExactTracker)) return null
  const s = t.capture.objectStack(obj)
  if (s === null) return null
  const frames = s.files.map((f, i) => Frame.of(f, s.lines[i]!, s.columns[i]! || null, s.functions[i]!))
  return Traceback.lazy(() => frames.reverse(), null)
}

/**
 * A snapshot of every trace (CPython's `take_snapshot`). Throws CPython's
 * error when not tracing. In sampled mode, taking it syncs with V8 first.
 */
export function takeSnapshot(): Snapshot {
  const t = tracing
  if (!t) throw new Error('the tracemalloc module must be tracing memory allocations to take a snapshot')
  sync(t)
  const info: CaptureInfo = {
    mode: t.mode,
    samplingInterval: t.mode === 'sampled' ? t.interval : null,
    nodeVersion: process.version,
    pid: process.pid,
    time: Date.now(),
    origin: null,
    quality: t.capture.quality(),
  }
  return Snapshot.wrap(storeSnapshot(), t.nframe, undefined, info)
}

function checkAddress(domain: unknown, address: unknown): [number, bigint] {
  if (typeof domain !== 'number' || !Number.isInteger(domain) || domain < USER_DOMAIN_BASE || domain > 0xffffffff) {
    throw new RangeError(
      `domain must be an integer in [2^31, 2^32-1], got ${String(domain)}: lower domains are the JavaScript heaps of threads`,
    )
  }
  let a: bigint
  if (typeof address === 'bigint') a = address
  else if (typeof address === 'number' && Number.isSafeInteger(address)) a = BigInt(address)
  else throw new TypeError(`address must be a safe integer or a bigint, not ${jsTypeName(address)}`)
  if (a < 0n || a >= 2n ** 64n) throw new RangeError(`address must be in [0, 2^64), got ${a}`)
  return [domain, a]
}

/**
 * Traces a block of `size` bytes at `address` in a user domain (CPython's
 * `PyTraceMalloc_Track`), replacing any trace at the same address. The
 * traceback is `frames` (most recent first) or, by default, the caller's
 * stack. Returns false, doing nothing, when not tracing.
 */
export function track(domain: number, address: number | bigint, size: number, frames?: Iterable<RawFrame>): boolean {
  const [d, a] = checkAddress(domain, address)
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`size must be a non-negative safe integer, got ${String(size)}`)
  }
  if (!tracing) return false
  const b = new TableBuilder()
  let ids: number[]
  let total: number
  if (frames === undefined) {
    const stack = currentStack(track, tracebackLimit)
    ids = stack.frames.map(([file, line, col, fn]) => b.frame(file, line, col, fn))
    total = Math.min(stack.total, 65535)
  } else {
    const list = Array.from(frames, (f, i) => parseRawFrame(f, `frames[${i}]`))
    ids = list.slice(0, tracebackLimit).map(([file, line, col, fn]) => b.frame(file, line, col ?? 0, fn))
    total = Math.min(list.length, 65535)
  }
  const tables = b.tables([b.seq(ids), total])
  // Another thread's clearTraces() may drop the store's tables between
  // interning and tracking: then intern again.
  for (;;) {
    const epoch = storeEpoch()
    const [tb] = storeIntern(tables)
    if (storeTrack(d, a, size, tb!, epoch)) return true
  }
}

/** Stops tracing a block (CPython's `PyTraceMalloc_Untrack`); true when it was traced. */
export function untrack(domain: number, address: number | bigint): boolean {
  const [d, a] = checkAddress(domain, address)
  return tracing ? storeUntrack(d, a) : false
}

/**
 * Exact mode: every allocation V8's tracker counted from `start()` to the
 * last sync (`takeSnapshot()`, `getTracedMemory()`), live or collected, per
 * allocation stack; null in sampled mode or when not tracing. Two of them
 * differ (`compareTo`) by what was allocated between their syncs. Used by
 * `tracemalloc/testing` for the sites of allocated bytes.
 * @internal
 */
export function allocationsAtLastSync(): Snapshot | null {
  const t = tracing
  if (!t || !(t.capture instanceof ExactTracker)) return null
  const native = t.capture.allocationsAtLastSync()
  if (native === null) return null
  const info: CaptureInfo = { mode: 'exact', samplingInterval: null, nodeVersion: process.version, pid: process.pid, time: Date.now(), origin: null }
  return Snapshot.wrap(native, t.nframe, undefined, info)
}

/**
 * Syncs now if tracing (a no-op otherwise).
 * @internal
 */
export function syncNow(): void {
  if (tracing) sync(tracing)
}

/**
 * Runs `fn` once when the traced process is about to end: on `exit` in
 * sampled mode, and in exact mode just before tracking ends (V8's tracker
 * would otherwise keep the process alive). Used by the CLI's report. Its
 * `exit` listener goes first, while the capture's helpers are still there.
 * @internal
 */
export function atProcessEnd(fn: () => void): void {
  let done = false
  const once = () => {
    if (!done) {
      done = true
      fn()
    }
  }
  const t = tracing
  if (t?.capture instanceof ExactTracker) t.capture.beforeRelease = once
  process.prependOnceListener('exit', once)
}
