/**
 * The sync worker: reads the main thread's sampling profile through
 * `inspector.Session.connectToMainThread()`, so that parsing the profile's
 * JSON and turning it into traces happen on this thread, not on the traced
 * one. The main thread waits on a shared flag while this runs; the store it
 * writes into is process-wide.
 * @module
 */
import { Session } from 'node:inspector'
import { parentPort, workerData } from 'node:worker_threads'

import { ProfileSync, type SamplingProfile } from './profile-sync'
import { SyncFlags } from './sync-flags'

/** Data the sampler hands to the worker. */
export interface SyncWorkerData {
  /** Where the worker reports each sync (see `sync-flags.ts`). */
  flags: SharedArrayBuffer
  nframe: number
  interval: number
  domain: number
  /** Keep builtin frames instead of folding them into their callers. */
  rawFrames: boolean
  /** Prefixes of tracemalloc's own stacks, as the traced thread decides them. */
  ownPrefixes: string[]
}

/**
 * Messages the sampler posts to the worker. `close` disconnects the session
 * now (Node waits at exit for sessions connected to the main thread).
 */
export type SyncRequest = { type: 'sync'; sourceMaps?: boolean } | { type: 'reset' } | { type: 'close' }

const data = workerData as SyncWorkerData
const shared = new SyncFlags(data.flags)
const flags = shared.state
const sync = new ProfileSync(data.domain, data.nframe, data.interval, data.rawFrames, data.ownPrefixes)
const session = new Session()
// The traced thread may have exited meanwhile, refusing the session: then
// connecting would make Node wait for it at exit.
if (!shared.claimSession()) process.exit(0)
session.connectToMainThread()

function finish(state: number): void {
  Atomics.store(flags, 0, state)
  Atomics.notify(flags, 0)
}

// The main thread's own session runs the sampler; this one only reads the
// profile. (Starting it here too would be a no-op for V8, but this session
// would then stop it when it disconnects.)

parentPort!.on('message', (msg: SyncRequest) => {
  if (msg.type === 'reset') {
    sync.reset()
    return
  }
  if (msg.type === 'close') {
    session.disconnect()
    finish(3)
    return
  }
  session.post('HeapProfiler.getSamplingProfile', (err, res) => {
    if (err) {
      finish(2)
      return
    }
    try {
      const r = sync.apply((res as unknown as { profile: SamplingProfile }).profile, msg.sourceMaps === true)
      shared.write(r)
      finish(1)
    } catch {
      finish(2)
    }
  })
})
