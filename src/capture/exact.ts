/**
 * Exact mode: V8's allocation tracker, with heap snapshots streamed into the
 * engine's parser (no `JSON.parse`, no string size limit).
 * Every live object allocated since `start()` (or the last `clearTraces()`)
 * is a trace with its exact size; an ArrayBuffer is charged its backing store.
 *
 * V8's tracker keeps allocation sites by address and moves them along when
 * the GC moves an object, but only for objects that no heap snapshot has
 * numbered yet (`HeapProfiler::ObjectMoveEvent` skips objects with an id).
 * Every heap snapshot, and the tracker's own heap statistics every 50 ms,
 * number every live object; a compacting GC that later moves one leaves its
 * site behind (the object reads as untraced, and the object that lands at
 * the old address can inherit it). Measured on Node 20, 22 and 24: a retained
 * set of 8,000 objects read 4,807 to 5,269 after a few syncs. While any
 * thread tracks, compaction is therefore off (`--no-compact`; full GCs still
 * promote young objects before numbering them, so numbered objects no longer
 * move), and each sync keeps the site it first saw for every object and
 * counts the objects V8 has lost since ({@link CaptureQuality.trackerLost}).
 *
 * V8's tracker runs a repeating timer that would keep the process alive for
 * ever, so a watchdog ends tracking once nothing else keeps the event loop
 * alive, and the process exits normally.
 *
 * A heap snapshot holds the whole heap, secrets included: it goes to a
 * private file (0600, in a new 0700 directory) that is removed on every way
 * out: after reading, on an exception, when a worker is terminated
 * mid-write, at the thread's `exit` event (`process.exit()` mid-write), and
 * a signal that comes mid-write is held back until the file is gone.
 * @module
 */
import { exactTrackers, HeapSnapshotReader, removePrivateHeapFiles, type NativeSnapshot } from '../native'
import { Session } from 'node:inspector'
import * as v8 from 'node:v8'

import { ownPrefixes } from './own'
import { postSync } from './session'
import { withSignalsHeld } from './signal-guard'
import type { SyncResult } from './profile-sync'
import type { CaptureQuality } from '../snapshot'

/** How often the watchdog looks at the event loop. */
const WATCHDOG_MS = 200

/** True when the user runs Node with compaction off already (then it stays off). */
function compactionOffByUser(): boolean {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
  return args.some((a) => a === '--no-compact' || a === '--no_compact')
}

/** A key on globalThis that briefly holds an object whose V8 id is wanted. */
const PROBE = '__tracemalloc_probe__'

/** Removes this thread's private files at its `exit` event (once per thread). */
let exitHookSet = false

/** One object's allocation stack as the parser returns it. */
export interface ObjectStack {
  files: string[]
  lines: number[]
  columns: number[]
  functions: string[]
  totalNframe: number
}

/**
 * True when something besides stdout/stderr keeps the event loop alive.
 * Node lists an idle stdout or stderr pipe or TTY among the active
 * resources although it does not keep the loop alive, so those are discounted.
 */
function loopHasWork(): boolean {
  const idleStdio = [process.stdout, process.stderr]
    .map((s) => (s as unknown as { _handle?: { constructor?: { name?: string } } })._handle?.constructor?.name)
    .map((name) => (name === 'Pipe' ? 'PipeWrap' : name === 'TTY' ? 'TTYWrap' : undefined))
  const active = process.getActiveResourcesInfo()
  for (const kind of idleStdio) {
    const i = kind === undefined ? -1 : active.indexOf(kind)
    if (i >= 0) active.splice(i, 1)
  }
  return active.length > 0
}

/** Exact capture of the calling thread's heap into one store domain. */
export class ExactTracker {
  readonly #session = new Session()
  readonly #nframe: number
  readonly #domain: number
  readonly #watchdog: NodeJS.Timeout
  #watermark = 0
  #last: HeapSnapshotReader | undefined
  /** `[count, highest id]` of the traced objects in `#last`. */
  #lastTraced: number[] = [0, 0]
  #released = false
  /** Highest V8 id of a traced object in the heap the last sync (or restart) read. */
  #seenUpTo = 0
  /** Objects V8's tracker lost since an earlier sync saw them, at the last sync. */
  #trackerLost = 0
  /** Runs once, just before the watchdog ends tracking at the end of the process. */
  beforeRelease: (() => void) | undefined

  readonly #rawFrames: boolean

  /** `rawFrames` keeps builtin frames as V8 reports them instead of folding them into their callers. */
  constructor(nframe: number, domain: number, rawFrames = false) {
    this.#nframe = nframe
    this.#domain = domain
    this.#rawFrames = rawFrames
    if (!exitHookSet) {
      exitHookSet = true
      process.on('exit', () => removePrivateHeapFiles())
    }
    this.#session.connect()
    postSync(this.#session, 'HeapProfiler.enable')
    if (exactTrackers(1) === 1) v8.setFlagsFromString('--no-compact')
    postSync(this.#session, 'HeapProfiler.startTrackingHeapObjects', { trackAllocations: true })
    this.#watchdog = setInterval(() => {
      if (!loopHasWork()) this.#release()
    }, WATCHDOG_MS)
    this.#watchdog.unref()
  }

  #release(): void {
    if (this.#released) return
    const hook = this.beforeRelease
    this.beforeRelease = undefined
    try {
      hook?.()
    } finally {
      this.close()
    }
  }

  /**
   * Takes a heap snapshot and streams it into a new reader. V8 writes it to
   * a private temporary file (synchronously, on every Node version; the
   * inspector's chunked form is asynchronous on Node 22+), and the engine
   * reads the file in chunks, so neither side holds the whole JSON.
   */
  #readHeap(watch = false): HeapSnapshotReader {
    const reader = new HeapSnapshotReader()
    if (watch) reader.watchDomain(this.#domain)
    withSignalsHeld(() => reader.feedHeapSnapshot((file) => void v8.writeHeapSnapshot(file)))
    reader.finish()
    reader.setRawFrames(this.#rawFrames)
    this.#last = reader
    this.#lastTraced = reader.tracedSummary()
    return reader
  }

  /** Takes a heap snapshot and makes the store's domain hold its traced objects. */
  sync(): SyncResult {
    if (this.#released) return { samples: 0, added: 0, removed: 0 }
    const reader = this.#readHeap(true)
    const [added, removed, lost, relabeled] = reader.syncStore(
      this.#domain,
      this.#nframe,
      this.#watermark,
      ownPrefixes(),
      this.#seenUpTo,
    )
    this.#seenUpTo = this.#lastTraced[1]!
    this.#trackerLost = lost! + relabeled!
    return { samples: this.#lastTraced[0]!, added: added!, removed: removed! }
  }

  /** What the syncs measured about their accuracy. */
  quality(): CaptureQuality {
    return { trackerLost: this.#trackerLost }
  }

  /**
   * Everything the allocation tracker counted from the start of tracking to
   * the last sync, live or collected, per allocation stack (V8's trace tree
   * totals); null before the first sync or once released.
   */
  allocationsAtLastSync(): NativeSnapshot | null {
    if (this.#released || this.#last === undefined) return null
    return this.#last.allocationSnapshot(this.#domain, this.#nframe, ownPrefixes())
  }

  /** V8's heap object id of what `expression` evaluates to; 0 when it has none yet. */
  #objectId(expression: string): number {
    const { result } = postSync<{ result: { objectId?: string } }>(this.#session, 'Runtime.evaluate', {
      expression,
      objectGroup: 'tracemalloc',
    })
    try {
      if (result.objectId === undefined) return 0
      const { heapSnapshotObjectId } = postSync<{ heapSnapshotObjectId: string }>(this.#session, 'HeapProfiler.getHeapObjectId', {
        objectId: result.objectId,
      })
      return Number(heapSnapshotObjectId)
    } finally {
      postSync(this.#session, 'Runtime.releaseObjectGroup', { objectGroup: 'tracemalloc' })
    }
  }

  /**
   * Forgets every object allocated so far: later syncs only keep newer ones.
   * V8 numbers heap objects in increasing order when a heap snapshot first
   * sees them, so this takes one and later keeps only objects numbered
   * above the highest traced id in it. (Synthetic nodes have ids of their
   * own, so the snapshot's overall highest id is no watermark.)
   */
  restart(): void {
    if (!this.#released) {
      this.#readHeap()
      this.#watermark = this.#lastTraced[1]!
      this.#seenUpTo = this.#watermark
      this.#trackerLost = 0
    }
  }

  /** Where `obj` was allocated, or null when it was not traced. Takes a heap snapshot when needed. */
  objectStack(obj: unknown): ObjectStack | null {
    if (this.#released || obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) return null
    const g = globalThis as Record<string, unknown>
    g[PROBE] = obj
    try {
      const probe = `globalThis[${JSON.stringify(PROBE)}]`
      // V8 gives an object an id only when a heap snapshot first sees it.
      let id = this.#objectId(probe)
      if (id === 0 || this.#last === undefined || id > this.#lastTraced[1]!) {
        this.#readHeap()
        id = this.#objectId(probe)
      }
      if (id === 0 || id <= this.#watermark) return null
      return this.#last!.tracebackOf(id, this.#nframe, this.#domain) ?? null
    } finally {
      delete g[PROBE]
    }
  }

  /** Ends tracking (disconnecting is what lets the process exit). */
  close(): void {
    if (this.#released) return
    this.#released = true
    clearInterval(this.#watchdog)
    this.#last = undefined
    this.#session.disconnect()
    if (exactTrackers(-1) === 0 && !compactionOffByUser()) v8.setFlagsFromString('--compact')
  }
}
