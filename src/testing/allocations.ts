/**
 * Allocation sites with collected objects included. Only V8's allocation
 * tracker (exact mode) keeps them: its trace tree counts every allocation
 * per stack since tracking started. V8's sampling profiler keeps either the
 * live samples or, with `includeObjectsCollectedBy*GC`, all of them without
 * telling which are live, and tracemalloc's sampled mode needs the live ones.
 * @module
 */
import type { Snapshot } from '../snapshot'
import { allocationsAtLastSync } from '../tracemalloc'

/**
 * Cumulative allocations per stack up to the last sync (exact mode), or null
 * in sampled mode. Call it right after `takeSnapshot()`.
 */
export function allocationSnapshot(): Snapshot | null {
  return allocationsAtLastSync()
}
