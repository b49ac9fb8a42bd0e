/**
 * Allocation sites: the most recent frame of a traceback that is the
 * program's own (not a builtin such as `push`, nor Node's `node:` code),
 * with bytes and object counts, taken from snapshots. Tracebacks that end
 * in the same such frame are one site.
 * @module
 */
import { isNodeInternalFile as isNodeInternal } from '../native'
import type { Frame } from '../frame'
import type { Snapshot } from '../snapshot'
import type { Statistic, StatisticDiff } from '../statistic'

/** One allocation site and what it holds or allocated. */
export interface Site {
  /** File of the allocating function (a path, or `node:...`, or `<unknown>`). */
  file: string
  /** Line where V8 places the allocating function (its start, see the README's "Frames are functions"). */
  line: number
  /** Column of that function's start, or null when unknown. */
  column: number | null
  /** The function's name, or null for an anonymous function. */
  function: string | null
  /** Bytes (an estimate in sampled mode). */
  size: number
  /** Objects (an estimate in sampled mode). */
  count: number
}

/** A key that tells sites apart: file, line, column and function. */
export function siteKey(s: Pick<Site, 'file' | 'line' | 'column' | 'function'>): string {
  return `${s.file}\0${s.line}\0${s.column ?? ''}\0${s.function ?? ''}`
}

/** The most recent frame that is not a builtin or Node's own, else the most recent one. */
function siteFrame(stat: Statistic | StatisticDiff): Frame | undefined {
  const tb = stat.traceback
  for (let i = tb.length - 1; i >= 0; i--) {
    const f = tb.at(i)
    if (!isNodeInternal(f.filename)) return f
  }
  return tb.length > 0 ? tb.at(tb.length - 1) : undefined
}

function siteOf(stat: Statistic | StatisticDiff, size: number, count: number): Site {
  const frame = siteFrame(stat)
  return {
    file: frame?.filename ?? '<unknown>',
    line: frame?.lineno ?? 0,
    column: frame?.column ?? null,
    function: frame?.functionName ?? null,
    size,
    count,
  }
}

/** Adds up sites with the same key, largest first. */
function merge(sites: Site[]): Site[] {
  const byKey = new Map<string, Site>()
  for (const s of sites) {
    const k = siteKey(s)
    const seen = byKey.get(k)
    if (seen) {
      seen.size += s.size
      seen.count += s.count
    } else byKey.set(k, { ...s })
  }
  return [...byKey.values()].sort((a, b) => b.size - a.size || b.count - a.count)
}

/** A matcher for filename patterns with `*` (any characters, `/` included) and `?` (one character). */
export function globMatcher(patterns: readonly string[]): (file: string) => boolean {
  if (patterns.length === 0) return () => false
  const re = new RegExp(
    `^(?:${patterns.map((p) => p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')).join('|')})$`,
    's',
  )
  return (file) => re.test(file)
}

/** Every site of `snapshot`, largest first, leaving out sites in files matching `ignore`. */
export function sitesOf(snapshot: Snapshot, ignore: readonly string[] = []): Site[] {
  const ignored = globMatcher(ignore)
  return merge(snapshot.statistics('traceback').map((s) => siteOf(s, s.size, s.count))).filter((s) => !ignored(s.file))
}

/**
 * How sites changed from `before` to `after`, leaving out sites in files
 * matching `ignore`: `net` is the sum of every change, `grown` the sites
 * that gained bytes, by bytes gained, largest first.
 */
export function siteChanges(after: Snapshot, before: Snapshot, ignore: readonly string[] = []): { net: number; grown: Site[] } {
  const ignored = globMatcher(ignore)
  const diffs = merge(after.compareTo(before, 'traceback').map((d) => siteOf(d, d.sizeDiff, d.countDiff))).filter((s) => !ignored(s.file))
  return { net: diffs.reduce((a, s) => a + s.size, 0), grown: diffs.filter((s) => s.size > 0) }
}

/** `file:line` of a site, with the column when known. */
export function siteLocation(s: Site): string {
  return s.column === null ? `${s.file}:${s.line}` : `${s.file}:${s.line}:${s.column}`
}
