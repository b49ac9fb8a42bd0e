/**
 * The text report of a snapshot: a header that states how it was captured
 * and how far to trust it, then the top statistics.
 * @module
 */
import { formatSize } from './pyformat'
import type { KeyType, Snapshot } from './snapshot'

/** The header lines: mode, interval, expected error, and what a frame means. */
export function reportHeader(snap: Snapshot, keyType: KeyType): string[] {
  const info = snap.captureInfo
  const lines: string[] = []
  if (info === null) {
    lines.push(`tracemalloc: snapshot of ${snap.traces.length} traces, grouped by ${keyType}`)
  } else if (info.mode === 'exact') {
    lines.push(
      `tracemalloc: exact mode (V8 allocation tracker), ${snap.tracebackLimit} frame(s), grouped by ${keyType}; ` +
        'sizes and counts are exact for live objects allocated since start()',
    )
  } else {
    const interval = info.samplingInterval ?? 0
    lines.push(
      `tracemalloc: sampled mode, interval ${formatSize(interval, false)}, ${snap.tracebackLimit} frame(s), grouped by ${keyType}; ` +
        'sizes are estimates with a relative error of about 1/sqrt(samples) per row (+-10% at 100 samples), ' +
        `objects of ${formatSize(interval, false)} or more are exact; counts of objects far smaller than the interval are rough`,
    )
  }
  lines.push(
    'tracemalloc: V8 charges an allocation to the allocating function (its start line:column), not to the allocating line, ' +
      'and inlined functions to their caller (start(n, { preciseFrames: true }) turns inlining off)',
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
