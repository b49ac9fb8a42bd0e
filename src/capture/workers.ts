/**
 * Tracing worker threads from the main thread: `start(n, { workers: true })`.
 *
 * `Worker` is replaced by a subclass that preloads tracemalloc's register
 * module (`--require`), so every worker created through it traces its own
 * heap from its first line into the process-wide store, under `domain` =
 * its threadId. Code that took `Worker` before `start()` (a destructured
 * `require` at the top of a module) keeps the original class and its
 * workers are not traced: start tracing first, for example with
 * `TRACEMALLOC=1 TRACEMALLOC_WORKERS=1 node --import tracemalloc/register`.
 * (Loading tracemalloc into a worker through the inspector instead was
 * tried: before the worker's startup completes it breaks or crashes Node.)
 *
 * The main thread asks traced workers to sync over a BroadcastChannel. A
 * worker can only answer from its event loop, so one busy in synchronous
 * code cannot answer at all, and the main thread must not wait for it: it
 * waits {@link START_GRACE_MS} for each worker to *begin* the sync (then, as
 * long as its sync takes, up to {@link SYNC_TIMEOUT_MS}), and not at all for
 * a worker that has not even begun the previous one. A worker that did not
 * answer keeps its traces from its last sync, and syncs when it gets to the
 * request (once, however many requests queued up meanwhile). Each worker
 * reports progress in shared memory, so the waiting thread needs no event
 * loop. A worker syncs once more as it exits, and its traces stay until
 * `clearTraces()`.
 * @module
 */
import { syncBuiltinESMExports } from 'node:module'
import { BroadcastChannel, type WorkerOptions } from 'node:worker_threads'

// The module object itself (not a namespace copy), so that `Worker` can be replaced.
import workerThreads = require('node:worker_threads')

type WorkerCtor = typeof workerThreads.Worker

/** The channel between the main thread and traced workers. */
export const CHANNEL = 'tracemalloc:workers'

/** The environment variable that tells a worker's preload how to trace. */
export const WORKER_ENV = 'TRACEMALLOC_WORKER'

/** How long the main thread waits for a worker that began a sync to finish it. */
const SYNC_TIMEOUT_MS = 5000

/** How long the main thread waits for a worker to begin a sync: longer means busy. */
const START_GRACE_MS = 250

/** A sync request: `seq` numbers it; `latest` holds the newest `seq`; `wake` is bumped on progress. */
export interface SyncMessage {
  type: 'sync'
  seq: number
  latest: SharedArrayBuffer
  wake: SharedArrayBuffer
}

/** What a traced worker is told to do, and what it announces. */
export type HubMessage =
  /** `status`: Int32 [0] the last sync request begun, [1] the last one done. */
  | { type: 'hello'; id: number; status: SharedArrayBuffer }
  | { type: 'bye'; id: number }
  | SyncMessage
  | { type: 'clear' | 'stop' }

/** A traced worker's side of the sync protocol. */
export class HubClient {
  readonly #status = new Int32Array(new SharedArrayBuffer(8))

  /** The hello message that makes the main thread wait for this worker's syncs. */
  hello(id: number): HubMessage {
    return { type: 'hello', id, status: this.#status.buffer as SharedArrayBuffer }
  }

  /** Runs `sync` for request `m`, unless a newer request is queued behind it. */
  answer(m: SyncMessage, sync: () => void): void {
    if (m.seq < Atomics.load(new Int32Array(m.latest), 0)) return
    const wake = new Int32Array(m.wake)
    const mark = (slot: number) => {
      Atomics.store(this.#status, slot, m.seq)
      Atomics.add(wake, 0, 1)
      Atomics.notify(wake, 0)
    }
    mark(0)
    try {
      sync()
    } finally {
      mark(1)
    }
  }
}

/** How workers trace: the main thread's settings. */
export interface WorkerTraceConfig {
  nframe: number
  mode: 'sampled' | 'exact'
  samplingInterval: number
  /** Keep builtin frames instead of folding them into their callers. */
  rawFrames?: boolean
}

/** The main thread's side: loads tracing into workers, tracks them, asks them to sync. */
export class WorkerHub {
  readonly #channel = new BroadcastChannel(CHANNEL)
  /** Each live worker's status (see the hello message). */
  readonly #live = new Map<number, Int32Array>()
  readonly #original: WorkerCtor
  #seq = 0
  readonly #latest = new Int32Array(new SharedArrayBuffer(4))
  readonly #wake = new Int32Array(new SharedArrayBuffer(4))

  constructor(config: WorkerTraceConfig) {
    process.env[WORKER_ENV] = JSON.stringify(config)
    const register = require.resolve('../register')
    const Original = workerThreads.Worker
    this.#original = Original
    class TracedWorker extends Original {
      constructor(filename: string | URL, options: WorkerOptions = {}) {
        super(filename, { ...options, execArgv: [...(options.execArgv ?? process.execArgv), '--require', register] })
      }
    }
    ;(workerThreads as { Worker: WorkerCtor }).Worker = TracedWorker as WorkerCtor
    syncBuiltinESMExports()
    this.#channel.onmessage = (e: unknown) => {
      const m = (e as { data: HubMessage }).data
      if (m.type === 'hello') {
        const status = new Int32Array(m.status)
        // Asked nothing yet: it is up to date with every earlier request.
        Atomics.store(status, 0, this.#seq)
        Atomics.store(status, 1, this.#seq)
        this.#live.set(m.id, status)
      } else if (m.type === 'bye') {
        this.#live.delete(m.id)
      }
    }
    this.#channel.unref()
  }

  /**
   * Asks every live traced worker to sync, and waits for those that answer
   * (see the module comment for the bounds).
   */
  sync(): void {
    if (this.#live.size === 0) return
    const previous = this.#seq
    const seq = ++this.#seq
    Atomics.store(this.#latest, 0, seq)
    this.#channel.postMessage({
      type: 'sync',
      seq,
      latest: this.#latest.buffer as SharedArrayBuffer,
      wake: this.#wake.buffer as SharedArrayBuffer,
    } satisfies HubMessage)
    // A worker that did not even begin the previous request is busy.
    const awaited = [...this.#live.values()].filter((s) => Atomics.load(s, 0) >= previous)
    const started = Date.now()
    for (;;) {
      const woken = Atomics.load(this.#wake, 0)
      const now = Date.now()
      let until = -Infinity
      for (const s of awaited) {
        if (Atomics.load(s, 1) >= seq) continue
        const deadline = started + (Atomics.load(s, 0) >= seq ? SYNC_TIMEOUT_MS : START_GRACE_MS)
        if (deadline > now) until = Math.max(until, deadline)
      }
      if (until === -Infinity) return
      Atomics.wait(this.#wake, 0, woken, until - now)
    }
  }

  /** Tells workers to drop their traces and go on tracing. */
  clear(): void {
    this.#channel.postMessage({ type: 'clear' } satisfies HubMessage)
  }

  /** Stops tracing in workers and restores `Worker`. */
  close(): void {
    this.#channel.postMessage({ type: 'stop' } satisfies HubMessage)
    ;(workerThreads as { Worker: WorkerCtor }).Worker = this.#original
    syncBuiltinESMExports()
    delete process.env[WORKER_ENV]
    this.#channel.close()
  }
}
