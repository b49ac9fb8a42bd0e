/**
 * Sampled mode: V8's sampling heap profiler through an in-process inspector
 * session, random sampling. Syncs run only on explicit calls (each read of
 * the profile forces a full GC in V8), preferably on the sync worker so the
 * traced thread does not parse the profile's JSON.
 * @module
 */
import { Session } from 'node:inspector'
import { extname, join } from 'node:path'
import { Worker } from 'node:worker_threads'

import type { CaptureQuality } from '../snapshot'
import { ProfileSync, type SamplingProfile, type SizeBasis, type SyncResult } from './profile-sync'
import { postSync } from './session'
import { FLAGS_BYTES, SyncFlags } from './sync-flags'
import type { SyncRequest, SyncWorkerData } from './sync-worker'

/** How long the traced thread waits for the sync worker before syncing itself. */
const WORKER_TIMEOUT_MS = 120_000

/** Options of a sampler. */
export interface SamplerOptions {
  nframe: number
  interval: number
  domain: number
  /** Parse profiles on a helper worker (default true). */
  offload: boolean
}

/** Sampled capture of one thread's JS heap into one store domain. */
export class Sampler {
  readonly #opts: SamplerOptions
  readonly #session = new Session()
  readonly #local: ProfileSync
  #worker: Worker | undefined
  #workerReady = false
  #flags: SyncFlags | undefined
  /** How the object sizes of the last sync's bytes were found. */
  lastSizes: SizeBasis | undefined

  constructor(opts: SamplerOptions) {
    this.#opts = opts
    this.#local = new ProfileSync(opts.domain, opts.nframe, opts.interval)
    this.#session.connect()
    postSync(this.#session, 'HeapProfiler.enable')
    this.#startSampling()
    if (opts.offload) this.#spawnWorker()
  }

  #startSampling(): void {
    postSync(this.#session, 'HeapProfiler.startSampling', {
      samplingInterval: this.#opts.interval,
      includeObjectsCollectedByMajorGC: false,
      includeObjectsCollectedByMinorGC: false,
    })
  }

  #spawnWorker(): void {
    const flags = new SharedArrayBuffer(FLAGS_BYTES)
    const data: SyncWorkerData = { flags, nframe: this.#opts.nframe, interval: this.#opts.interval, domain: this.#opts.domain }
    const file = join(__dirname, `sync-worker${extname(__filename)}`)
    try {
      const w = new Worker(file, { workerData: data, env: { ...process.env, TRACEMALLOC: '' } })
      w.on('message', (m: { type: string }) => {
        if (m.type === 'ready') this.#workerReady = true
      })
      w.on('error', () => this.#dropWorker())
      w.on('exit', () => this.#dropWorker())
      // Last: adding a 'message' listener refs the port again, and the
      // helper must never keep the traced process alive.
      w.unref()
      this.#worker = w
      this.#flags = new SyncFlags(flags)
    } catch {
      this.#dropWorker()
    }
  }

  #dropWorker(): void {
    this.#workerReady = false
    const w = this.#worker
    this.#worker = undefined
    if (w) void w.terminate().catch(() => undefined)
  }

  /** Reads the profile and applies it to the store. */
  sync(opts: { onThread?: boolean } = {}): SyncResult {
    const r = this.#sync(opts)
    this.lastSizes = r.sizes
    return r
  }

  #sync(opts: { onThread?: boolean }): SyncResult {
    if (!opts.onThread && this.#worker && this.#workerReady && this.#flags) {
      const flags = this.#flags.state
      Atomics.store(flags, 0, 0)
      this.#worker.postMessage({ type: 'sync' } satisfies SyncRequest)
      const waited = Atomics.wait(flags, 0, 0, WORKER_TIMEOUT_MS)
      if (waited !== 'timed-out' && Atomics.load(flags, 0) === 1) return this.#flags.read()
      // A worker that failed or stalled is not trusted again.
      this.#dropWorker()
    }
    const { profile } = postSync<{ profile: SamplingProfile }>(this.#session, 'HeapProfiler.getSamplingProfile')
    return this.#local.apply(profile)
  }

  /** What the last sync measured about its accuracy. */
  quality(): CaptureQuality {
    return this.lastSizes ? { sizeBasis: { ...this.lastSizes } } : {}
  }

  /** Drops every sample: the profiler starts over, and so do node ids. */
  restart(): void {
    postSync(this.#session, 'HeapProfiler.stopSampling')
    this.#startSampling()
    this.#local.reset()
    this.lastSizes = undefined
    this.#worker?.postMessage({ type: 'reset' } satisfies SyncRequest)
  }

  /** Stops sampling and closes the session and the worker. */
  close(): void {
    this.#dropWorker()
    try {
      postSync(this.#session, 'HeapProfiler.stopSampling')
    } catch {
      // Already stopped (for example by another sampler); closing is enough.
    }
    this.#session.disconnect()
  }
}
