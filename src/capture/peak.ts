/**
 * Peak traced memory between syncs, estimated from GC events.
 *
 * The store only learns the traced total at syncs. Between two syncs, V8's
 * `GCProfiler` records the heap's used size before every GC, which is the
 * heap's high-water mark at that moment. The traced total at such a moment
 * is estimated as the traced total at the previous sync plus the heap's
 * growth since then. The estimate counts garbage not yet collected (it did
 * occupy the heap) and is off by whatever the heap did outside tracing
 * (objects from before `start()` that died meanwhile make it low) and by
 * the sampling error of the traced totals. Without `v8.GCProfiler` (Node
 * before 18.15) the peak is the highest traced total seen at a sync.
 * @module
 */
import * as v8 from 'node:v8'

import { storeRaisePeak } from '../native'

interface GCStat {
  beforeGC?: { heapStatistics?: { usedHeapSize?: number } }
}

type Profiler = { start(): void; stop(): { statistics?: GCStat[] } | undefined }

/** Tracks the heap's used size before each GC and raises the store's peak. */
export class PeakTracker {
  #profiler: Profiler | undefined
  #heapAtSync = 0
  #tracedAtSync = 0

  constructor() {
    const Ctor = (v8 as unknown as { GCProfiler?: new () => Profiler }).GCProfiler
    if (Ctor) {
      this.#profiler = new Ctor()
      this.#profiler.start()
    }
    this.#heapAtSync = v8.getHeapStatistics().used_heap_size
  }

  /**
   * Called right after a sync with the traced total: raises the peak with
   * the GCs seen since the previous sync, then starts a new period.
   */
  afterSync(traced: number): void {
    const p = this.#profiler
    if (p) {
      const stats = p.stop()?.statistics ?? []
      let maxBefore = 0
      for (const s of stats) maxBefore = Math.max(maxBefore, s.beforeGC?.heapStatistics?.usedHeapSize ?? 0)
      if (maxBefore > 0) storeRaisePeak(Math.max(0, this.#tracedAtSync + maxBefore - this.#heapAtSync))
      p.start()
    }
    this.#heapAtSync = v8.getHeapStatistics().used_heap_size
    this.#tracedAtSync = traced
  }

  /** Forgets the period so far (after clearTraces or resetPeak). */
  reset(traced: number): void {
    this.#profiler?.stop()
    this.#profiler?.start()
    this.#heapAtSync = v8.getHeapStatistics().used_heap_size
    this.#tracedAtSync = traced
  }

  /** Stops listening to GC events. */
  close(): void {
    this.#profiler?.stop()
    this.#profiler = undefined
  }
}
