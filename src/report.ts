/**
 * The text report of a snapshot: a header that states how it was captured
 * and how far to trust it, then the top statistics.
 * @module
 */
import { formatSize } from './pyformat'
import type { KeyType, Snapshot } from './snapshot'

/**
 * Measured accuracy of sampled counts at the default interval (`npm run
 * bench -- capture`, count sweep): every 8-aligned object size from 16 B to
 * 4 KiB, one site each, tracemalloc's count against V8's own count of the
 * same samples.
 */
const COUNT_BOUND =
  "V8's own count for 499 to 502 of 511 sizes at 10 samples a size (the rest guessed, worst 12.5x), 508 to 510 at 30, " +
  '510 or 511 at 100, the rest within 1% (every 8-aligned size from 16 B to 4 KiB, default interval)'

/** Whole percent of `part` in `total`. */
function percent(part: number, total: number): string {
  return `${total > 0 ? Math.round((100 * part) / total) : 0}%`
}

/** The header lines: mode, interval, measured error bands, and what a frame means. */
export function reportHeader(snap: Snapshot, keyType: KeyType): string[] {
  const info = snap.captureInfo
  const lines: string[] = []
  if (info === null) {
    lines.push(`tracemalloc: snapshot of ${snap.traces.length} traces, grouped by ${keyType}`)
  } else if (info.mode === 'exact' && info.origin === 'heapsnapshot') {
    lines.push(
      `tracemalloc: V8 heap snapshot, ${snap.tracebackLimit} frame(s), grouped by ${keyType}; ` +
        'sizes and counts are exact for the live objects it holds',
    )
  } else if (info.mode === 'exact') {
    lines.push(
      `tracemalloc: exact mode (V8 allocation tracker), ${snap.tracebackLimit} frame(s), grouped by ${keyType}; ` +
        'sizes and counts are exact for live objects allocated since start()',
    )
    const lost = info.quality?.trackerLost ?? 0
    if (lost > 0) {
      lines.push(
        `tracemalloc: V8's allocation tracker lost the site of ${lost} live object(s) after tracemalloc first saw them ` +
          '(heap compaction was turned back on while tracking); they are kept at that site',
      )
    }
  } else {
    const interval = info.samplingInterval
    const every = interval ? formatSize(interval, false) : 'unknown'
    lines.push(
      `tracemalloc: sampled mode, interval ${every}, ${snap.tracebackLimit} frame(s), grouped by ${keyType}`,
      'tracemalloc: sizes: unbiased, relative error about 1/sqrt(samples) per row (+-10% at 100 samples); ' +
        `retained sets of 16 B to 1 MiB objects measured within 5%${interval ? `; objects of ${every} or more near exact` : ''}`,
      `tracemalloc: counts: ${COUNT_BOUND}; a count whose object size had to be guessed can read up to 100x high`,
    )
    const b = info.quality?.sizeBasis
    if (b) {
      const total = b.solved + b.borrowed + b.guessed + b.foreign
      const parts = [`${percent(b.solved, total)} recovered`, `${percent(b.borrowed, total)} borrowed from another site`]
      parts.push(`${percent(b.guessed, total)} guessed`)
      if (b.foreign > 0) parts.push(`${percent(b.foreign, total)} sampled at another interval`)
      lines.push(`tracemalloc: this snapshot's bytes by object size: ${parts.join(', ')}`)
      if (b.guessed + b.foreign > 0.05 * total) {
        lines.push('tracemalloc: counts and averages of rows made of guessed bytes can mislead: compare sizes, not counts')
      }
    }
  }
  lines.push(
    'tracemalloc: frames are functions at their start line:column; inlined functions are charged to their caller ' +
      '(preciseFrames turns inlining off)',
  )
  return lines
}

/**
 * One statistic's lines: its summary (`file:line: size=..., count=...`),
 * and with key type `'traceback'` its whole traceback after it, most recent
 * frame first, with source lines where the files are readable (as
 * `traceback.format()` gives them).
 */
export function statisticLines(
  stat: ReturnType<Snapshot['statistics']>[number] | ReturnType<Snapshot['compareTo']>[number],
  keyType: KeyType,
): string[] {
  const lines = [String(stat)]
  if (keyType === 'traceback') lines.push(...stat.traceback.format(null, true))
  return lines
}

/** The header and the top `limit` statistics of `snap`, one per line. */
export function formatReport(snap: Snapshot, keyType: KeyType, limit: number): string[] {
  const stats = snap.statistics(keyType)
  const lines = [...reportHeader(snap, keyType), `[ Top ${Math.min(limit, stats.length)} of ${stats.length} ]`]
  for (const s of stats.slice(0, limit)) lines.push(...statisticLines(s, keyType))
  const total = stats.reduce((a, s) => a + s.size, 0)
  lines.push(`Total: ${formatSize(total, false)} in ${snap.traces.length} traces`)
  return lines
}
