/**
 * A snapshot's totals (bytes and objects over every trace), as `top`,
 * `compare` and `info` print them.
 * @module
 */
import type { Snapshot } from '../snapshot'

/** Total bytes, objects and traces of a snapshot. */
export interface Totals {
  size: number
  count: number
  traces: number
}

/** Sums every trace of `snap` (by file, so each trace counts once). */
export function totals(snap: Snapshot): Totals {
  let size = 0
  let count = 0
  for (const s of snap.statistics('filename')) {
    size += s.size
    count += s.count
  }
  return { size, count, traces: snap.traces.length }
}
