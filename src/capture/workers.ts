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
 * The main thread asks traced workers to sync over a BroadcastChannel and
 * waits for them on a shared counter, at most a few seconds: a worker busy
 * in synchronous code answers late and its traces are from its last sync. A
 * worker syncs once more as it exits, and its traces stay until
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

/** How long the main thread waits for workers to sync. */
const SYNC_TIMEOUT_MS = 5000

/** What a traced worker is told to do, and what it announces. */
export type HubMessage =
  | { type: 'hello' | 'bye'; id: number }
  | { type: 'sync'; done: SharedArrayBuffer }
  | { type: 'clear' | 'stop' }

/** How workers trace: the main thread's settings. */
export interface WorkerTraceConfig {
  nframe: number
  mode: 'sampled' | 'exact'
  samplingInterval: number
}

/** The main thread's side: loads tracing into workers, tracks them, asks them to sync. */
export class WorkerHub {
  readonly #channel = new BroadcastChannel(CHANNEL)
  readonly #live = new Set<number>()
  readonly #original: WorkerCtor

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
      if (m.type === 'hello') this.#live.add(m.id)
      else if (m.type === 'bye') this.#live.delete(m.id)
    }
    this.#channel.unref()
  }

  /** Asks every live traced worker to sync, and waits for them (bounded). */
  sync(): void {
    const expected = this.#live.size
    if (expected === 0) return
    const done = new SharedArrayBuffer(4)
    const count = new Int32Array(done)
    this.#channel.postMessage({ type: 'sync', done } satisfies HubMessage)
    const deadline = Date.now() + SYNC_TIMEOUT_MS
    for (let seen = 0; seen < expected; seen = Atomics.load(count, 0)) {
      const left = deadline - Date.now()
      if (left <= 0) break
      Atomics.wait(count, 0, seen, left)
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
