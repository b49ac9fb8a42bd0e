/**
 * Sampled mode: V8's sampling heap profiler through an in-process inspector
 * session, random sampling. Syncs run only on explicit calls (each read of
 * the profile forces a full GC in V8), preferably on the sync worker so the
 * traced thread does not parse the profile's JSON.
 *
 * V8 has one sampling heap profiler per thread, whoever starts it
 * (`node --heap-prof`, `@datadog/pprof`, DevTools): a second start succeeds
 * without effect and keeps the first one's interval, and any stop ends it
 * for all. So tracemalloc refuses to start when one is already running,
 * stops only the one it started, and says so when another client stopped it.
 * @module
 */
import { Session } from 'node:inspector'
import { extname, join } from 'node:path'
import { Worker } from 'node:worker_threads'

import type { CaptureQuality } from '../snapshot'
import { sourceMapsEnabled } from '../sourcemaps'
import { ProfileSync, type SamplingProfile, type SizeBasis, type SyncResult } from './profile-sync'
import { postSync } from './session'
import { FLAGS_BYTES, SyncFlags } from './sync-flags'
import { ownPrefixes } from './own'
import type { SyncRequest, SyncWorkerData } from './sync-worker'

/** How long the traced thread waits for the sync worker before syncing itself. */
const WORKER_TIMEOUT_MS = 120_000

/** How long closing waits for the sync worker to disconnect its session. */
const CLOSE_TIMEOUT_MS = 1000

const OTHER_CLIENTS = 'node --heap-prof, @datadog/pprof, or an inspector client such as DevTools'

/** Why sampled mode cannot start: V8's sampler is someone else's. */
export const OTHER_SAMPLER_MESSAGE =
  `another sampling heap profiler is already running in this thread (${OTHER_CLIENTS}); ` +
  'V8 has only one, and tracemalloc will neither take it over nor stop it: ' +
  "stop that profiler first, or trace with start(n, { mode: 'exact' })"

/** Why a sync failed: another client stopped the sampler tracemalloc started. */
export const LOST_SAMPLER_MESSAGE =
  `V8's sampling heap profiler was stopped by another client (${OTHER_CLIENTS}); ` +
  'the sampled traces are those of the last sync: clearTraces() starts sampling again if no other profiler runs'

/** Flags of Node's own profilers, which the sync worker must not inherit (it would write profiles of its own). */
const PROFILER_FLAG = /^--(cpu-prof|heap-prof|prof)(-|=|$)/
/** Those of them that take a value, which may be the next argument. */
const PROFILER_VALUE_FLAG = /^--(cpu|heap)-prof-(dir|name|interval)$/

/** `process.execArgv` without Node's profiler flags. */
function execArgvWithoutProfilers(): string[] {
  const out: string[] = []
  const argv = process.execArgv
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (!PROFILER_FLAG.test(a)) out.push(a)
    else if (PROFILER_VALUE_FLAG.test(a)) i++
  }
  return out
}

/** True when V8 answers that no sampling heap profiler runs. */
function notStarted(e: unknown): boolean {
  return /sampling heap profiler was not started/i.test((e as Error)?.message ?? '')
}

/** Options of a sampler. */
export interface SamplerOptions {
  nframe: number
  interval: number
  domain: number
  /** Parse profiles on a helper worker (default true). */
  offload: boolean
  /** Keep builtin frames instead of folding them into their callers (default false). */
  rawFrames?: boolean
}

/** Sampled capture of one thread's JS heap into one store domain. */
export class Sampler {
  readonly #opts: SamplerOptions
  readonly #session = new Session()
  readonly #local: ProfileSync
  #worker: Worker | undefined
  #flags: SyncFlags | undefined
  /** How the object sizes of the last sync's bytes were found. */
  lastSizes: SizeBasis | undefined
  /** True while the running sampler is the one this session started. */
  #owned = false
  /**
   * Ends the sync worker when the process exits: its session is connected
   * to this thread, and Node waits for such sessions to disconnect (saying
   * `Waiting for the debugger to disconnect...`).
   */
  readonly #atExit = () => this.#dropWorker()

  /** Starts sampling; throws {@link OTHER_SAMPLER_MESSAGE} when another sampler runs. */
  constructor(opts: SamplerOptions) {
    this.#opts = opts
    this.#local = new ProfileSync(opts.domain, opts.nframe, opts.interval, opts.rawFrames ?? false, ownPrefixes())
    this.#session.connect()
    try {
      postSync(this.#session, 'HeapProfiler.enable')
      this.#startSampling()
    } catch (e) {
      this.#session.disconnect()
      throw e
    }
    if (opts.offload) {
      this.#spawnWorker()
      process.on('exit', this.#atExit)
    }
  }

  /** True when a sampling heap profiler runs in this thread, whoever started it. */
  #samplerRunning(): boolean {
    try {
      postSync(this.#session, 'HeapProfiler.getSamplingProfile')
      return true
    } catch (e) {
      if (notStarted(e)) return false
      throw e
    }
  }

  /** Starts V8's sampler, unless another client's runs. */
  #startSampling(): void {
    if (this.#samplerRunning()) throw new Error(OTHER_SAMPLER_MESSAGE)
    postSync(this.#session, 'HeapProfiler.startSampling', {
      samplingInterval: this.#opts.interval,
      includeObjectsCollectedByMajorGC: false,
      includeObjectsCollectedByMinorGC: false,
    })
    this.#owned = true
  }

  #spawnWorker(): void {
    const flags = new SharedArrayBuffer(FLAGS_BYTES)
    const data: SyncWorkerData = {
      flags,
      nframe: this.#opts.nframe,
      interval: this.#opts.interval,
      domain: this.#opts.domain,
      rawFrames: this.#opts.rawFrames ?? false,
      ownPrefixes: ownPrefixes(),
    }
    const file = join(__dirname, `sync-worker${extname(__filename)}`)
    try {
      const w = new Worker(file, {
        workerData: data,
        env: { ...process.env, TRACEMALLOC: '' },
        execArgv: execArgvWithoutProfilers(),
      })
      // A worker that failed or ended has no session left to close.
      w.on('error', () => this.#dropWorker(false))
      w.on('exit', () => this.#dropWorker(false))
      // Last: adding a 'message' listener refs the port again, and the
      // helper must never keep the traced process alive.
      w.unref()
      this.#worker = w
      this.#flags = new SyncFlags(flags)
    } catch {
      this.#dropWorker(false)
    }
  }

  /**
   * Ends the sync worker. A ready one first disconnects its session, and
   * this thread waits for that (bounded): terminating alone is
   * asynchronous, and the session could outlive this thread's exit.
   */
  #dropWorker(closeSession = true): void {
    const w = this.#worker
    const flags = this.#flags
    // A worker that has not connected yet never will; one that has gets to disconnect first.
    if (closeSession && w && flags?.refuseSession()) {
      Atomics.store(flags.state, 0, 0)
      w.postMessage({ type: 'close' } satisfies SyncRequest)
      Atomics.wait(flags.state, 0, 0, CLOSE_TIMEOUT_MS)
    }
    this.#worker = undefined
    if (w) void w.terminate().catch(() => undefined)
  }

  /**
   * Reads the profile and applies it to the store. Throws
   * {@link LOST_SAMPLER_MESSAGE} when another client stopped the sampler.
   */
  sync(): SyncResult {
    const r = this.#sync()
    this.lastSizes = r.sizes
    return r
  }

  #sync(): SyncResult {
    if (!this.#owned) throw new Error(LOST_SAMPLER_MESSAGE)
    if (this.#worker && this.#flags?.connected) {
      const flags = this.#flags.state
      Atomics.store(flags, 0, 0)
      this.#worker.postMessage({ type: 'sync', sourceMaps: sourceMapsEnabled() } satisfies SyncRequest)
      const waited = Atomics.wait(flags, 0, 0, WORKER_TIMEOUT_MS)
      if (waited !== 'timed-out' && Atomics.load(flags, 0) === 1) return this.#flags.read()
      // A worker that failed or stalled is not trusted again.
      this.#dropWorker()
    }
    let profile: SamplingProfile
    try {
      profile = postSync<{ profile: SamplingProfile }>(this.#session, 'HeapProfiler.getSamplingProfile').profile
    } catch (e) {
      if (!notStarted(e)) throw e
      this.#disown()
      throw new Error(LOST_SAMPLER_MESSAGE)
    }
    return this.#local.apply(profile)
  }

  /** What the last sync measured about its accuracy. */
  quality(): CaptureQuality {
    return this.lastSizes ? { sizeBasis: { ...this.lastSizes } } : {}
  }

  /**
   * Forgets the sampler another client stopped. This session still records
   * that it started one, and V8 would stop whatever sampler runs when the
   * session disconnects; only a stop that succeeds clears that record. So,
   * while no sampler runs, start one and stop it at once.
   */
  #disown(): void {
    this.#owned = false
    try {
      postSync(this.#session, 'HeapProfiler.startSampling', { samplingInterval: this.#opts.interval })
      postSync(this.#session, 'HeapProfiler.stopSampling')
    } catch {
      // Nothing more can be done; the sync error says what happened.
    }
  }

  /**
   * Drops every sample: the profiler starts over, and so do node ids. After
   * another client stopped it, this starts it again if no other sampler runs.
   */
  restart(): void {
    if (this.#owned) {
      this.#owned = false
      postSync(this.#session, 'HeapProfiler.stopSampling')
    }
    this.#startSampling()
    this.#local.reset()
    this.lastSizes = undefined
    this.#worker?.postMessage({ type: 'reset' } satisfies SyncRequest)
  }

  /** Stops sampling (when the sampler is ours) and closes the session and the worker. */
  close(): void {
    process.removeListener('exit', this.#atExit)
    this.#dropWorker()
    if (this.#owned) {
      this.#owned = false
      try {
        postSync(this.#session, 'HeapProfiler.stopSampling')
      } catch {
        // Already stopped by another client; closing is enough.
      }
    }
    this.#session.disconnect()
  }
}
