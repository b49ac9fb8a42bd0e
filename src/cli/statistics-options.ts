/**
 * The options `top` and `compare` share: how rows group traces
 * (`--key-type`, `--cumulative`), how many are shown (`--limit`), and which
 * traces count (`--include`/`--exclude` file name patterns and `--domain`,
 * CPython's `Filter` and `DomainFilter`); and how rows print, as text or JSON.
 * @module
 */
import { DomainFilter, Filter } from '../filter'
import type { Frame } from '../frame'
import { KEY_TYPES, type KeyType, type Snapshot } from '../snapshot'
import type { Statistic, StatisticDiff } from '../statistic'
import { integerOption, stringList, stringOption, type Options, type Values } from './command'
import { UsageError } from './errors'

/** The shared options, for `parseArgs`. */
export const STATISTICS_OPTIONS: Options = {
  'key-type': { type: 'string' },
  cumulative: { type: 'boolean' },
  limit: { type: 'string' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  'all-frames': { type: 'boolean' },
  domain: { type: 'string', multiple: true },
}

/** Usage lines of {@link STATISTICS_OPTIONS}. */
export const STATISTICS_USAGE = `  --key-type KEY    group by ${KEY_TYPES.join(', ')} (default lineno); traceback
                    prints each row's whole traceback, most recent frame first
  --cumulative      count every frame of a traceback, not only the most recent
                    (not with --key-type traceback)
  --limit N         rows to show (default 10; 0 shows all)
  --include GLOB    keep only traces whose file name matches GLOB (repeatable;
                    a trace is kept when it matches any)
  --exclude GLOB    drop traces whose file name matches GLOB (repeatable)
  --all-frames      --include/--exclude look at every frame, not only the most recent
  --domain N        keep only traces of address space N (repeatable)`

/** The shared options, parsed. */
export interface StatisticsArgs {
  keyType: KeyType
  cumulative: boolean
  /** Rows to show; `Infinity` for all. */
  limit: number
  filters: (Filter | DomainFilter)[]
}

/** Parses the shared options (usage errors name the option). */
export function statisticsArgs(values: Values): StatisticsArgs {
  const keyType = stringOption(values, 'key-type') ?? 'lineno'
  if (!KEY_TYPES.includes(keyType)) {
    throw new UsageError(`--key-type must be one of ${KEY_TYPES.join(', ')}, got ${JSON.stringify(keyType)}`)
  }
  const cumulative = values.cumulative === true
  if (cumulative && keyType === 'traceback') throw new UsageError('--cumulative cannot be used with --key-type traceback')
  const limit = integerOption(values, 'limit', 0, Number.MAX_SAFE_INTEGER, 10)
  const allFrames = values['all-frames'] === true
  const filters: (Filter | DomainFilter)[] = []
  for (const glob of stringList(values, 'include')) filters.push(new Filter(true, glob, null, allFrames))
  for (const glob of stringList(values, 'exclude')) filters.push(new Filter(false, glob, null, allFrames))
  for (const d of stringList(values, 'domain')) {
    if (!/^\d+$/.test(d) || Number(d) > 0xffff_ffff) throw new UsageError(`--domain must be an integer in [0, 4294967295], got ${JSON.stringify(d)}`)
    filters.push(new DomainFilter(true, Number(d)))
  }
  return { keyType: keyType as KeyType, cumulative, limit: limit === 0 ? Infinity : limit, filters }
}

/** `snapshot` with the filters applied (itself when there are none). */
export function filtered(snapshot: Snapshot, args: StatisticsArgs): Snapshot {
  return args.filters.length === 0 ? snapshot : snapshot.filterTraces(args.filters)
}

/** A frame as JSON. */
export interface FrameJson {
  filename: string
  lineno: number
  column: number | null
  function: string | null
}

function frameJson(f: Frame): FrameJson {
  return { filename: f.filename, lineno: f.lineno, column: f.column, function: f.functionName }
}

/** A row as JSON: its key, its figures, and its frames, most recent first. */
export function statisticJson(stat: Statistic | StatisticDiff): Record<string, unknown> {
  const frames = stat.traceback.slice().reverse().map(frameJson)
  const row: Record<string, unknown> = { key: String(stat.traceback), size: stat.size, count: stat.count }
  if ('sizeDiff' in stat) Object.assign(row, { sizeDiff: stat.sizeDiff, countDiff: stat.countDiff })
  return { ...row, frames }
}

/** How the shared options read back in JSON output. */
export function statisticsArgsJson(args: StatisticsArgs): Record<string, unknown> {
  return {
    keyType: args.keyType,
    cumulative: args.cumulative,
    limit: Number.isFinite(args.limit) ? args.limit : null,
    filters: args.filters.map((f) =>
      f instanceof Filter
        ? { inclusive: f.inclusive, filenamePattern: f.filenamePattern, allFrames: f.allFrames }
        : { inclusive: f.inclusive, domain: f.domain },
    ),
  }
}
