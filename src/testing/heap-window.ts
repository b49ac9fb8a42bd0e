/**
 * V8's own heap accounting over a window of time, from GC events
 * (`v8.GCProfiler`): how many bytes the JavaScript heap took in, and its
 * high-water mark.
 *
 * Between two GCs the heap only grows by allocation, so the bytes allocated
 * in the window are the sum, over the GCs in it, of the used size before
 * each GC minus the used size after the previous one (or at the start), plus
 * the growth since the last GC. The high-water mark is the largest used size
 * seen before a GC or at the end. Both count the whole heap: anything else
 * that runs JavaScript in the window (another async task) counts too, and
 * memory outside the heap (ArrayBuffer backing stores) does not.
 * @module
 */
import * as v8 from 'node:v8'

interface GcStat {
  gcType?: string
  beforeGC?: { heapStatistics?: { usedHeapSize?: number } }
  afterGC?: { heapStatistics?: { usedHeapSize?: number } }
}

type Profiler = { start(): void; stop(): { statistics?: GcStat[] } | undefined }

/** What a window saw. */
export interface HeapFigures {
  /** Bytes allocated on the JS heap in the window, collected ones included. */
  allocated: number
  /** Highest used heap size in the window, minus the size at its start. */
  peak: number
  /** Used heap size at the end, before any final GC, minus the size at the start. */
  end: number
  /** Number of GCs in the window, by V8's type name (`Scavenge`, `MarkCompact`, ...). */
  gcs: Record<string, number>
}

/** Accounts for the JS heap from {@link HeapWindow.open} to {@link HeapWindow.close}. */
export class HeapWindow {
  readonly #profiler: Profiler | undefined
  readonly #start: number
  #closed = false

  private constructor() {
    const Ctor = (v8 as unknown as { GCProfiler?: new () => Profiler }).GCProfiler
    this.#profiler = Ctor ? new Ctor() : undefined
    this.#profiler?.start()
    this.#start = v8.getHeapStatistics().used_heap_size
  }

  /** Starts accounting now. */
  static open(): HeapWindow {
    return new HeapWindow()
  }

  /** Ends the window and returns its figures (once). */
  close(): HeapFigures {
    if (this.#closed) throw new Error('HeapWindow closed twice')
    this.#closed = true
    const end = v8.getHeapStatistics().used_heap_size
    const stats = this.#profiler?.stop()?.statistics ?? []
    let allocated = 0
    let high = this.#start
    let last = this.#start
    const gcs: Record<string, number> = {}
    for (const s of stats) {
      const before = s.beforeGC?.heapStatistics?.usedHeapSize ?? last
      const after = s.afterGC?.heapStatistics?.usedHeapSize ?? before
      allocated += Math.max(0, before - last)
      high = Math.max(high, before)
      last = after
      const type = s.gcType ?? 'unknown'
      gcs[type] = (gcs[type] ?? 0) + 1
    }
    allocated += Math.max(0, end - last)
    high = Math.max(high, end)
    return { allocated, peak: high - this.#start, end: end - this.#start, gcs }
  }
}
