/**
 * Exporting snapshots to other tools' formats: pprof, V8's `.heapprofile`,
 * speedscope, collapsed stacks, JSON, CSV, JSON lines, and a self-contained
 * HTML flame graph (differential with a base snapshot). The Rust engine
 * streams every format to the file and writes it atomically (temporary file,
 * fsync, rename). See `docs/exporters.md` for each format's fields.
 * @module
 */
import { fileURLToPath } from 'node:url'

import { metaJson } from '../meta'
import { exportSnapshot as nativeExport, exportSnapshotAsync as nativeExportAsync, type ExportOptionsInput, type NativeSnapshot } from '../native'
import { Snapshot } from '../snapshot'

/** The formats {@link Snapshot.export} writes. */
export type ExportFormat = 'pprof' | 'heapprofile' | 'speedscope' | 'collapsed' | 'json' | 'csv' | 'jsonl' | 'flamegraph'

/** Every export format, in the order error messages list them. */
export const EXPORT_FORMATS: readonly ExportFormat[] = Object.freeze([
  'pprof',
  'heapprofile',
  'speedscope',
  'collapsed',
  'json',
  'csv',
  'jsonl',
  'flamegraph',
] as const)

/** Options of {@link Snapshot.export}. Each format uses the ones that apply to it. */
export interface ExportOptions {
  /** `'flamegraph'` only: the older snapshot of a differential flame graph (widths by this snapshot, colours by growth). */
  base?: Snapshot
  /** A title: the flame graph's and speedscope's name, a pprof comment, the JSON's `title`. */
  title?: string
  /** `'flamegraph'` only: frames narrower than this fraction of the whole merge into one "other" frame per parent (default 0.0001; 0 keeps every frame). */
  minFraction?: number
}

/** Names a JavaScript value's type for error messages. */
function typeOf(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value !== 'object') return typeof value
  return (value as object).constructor?.name ?? 'object'
}

type NativeArgs = [NativeSnapshot, string, string, string, NativeSnapshot | null, ExportOptionsInput]

/** Checks the arguments with JavaScript-facing messages and shapes them for the engine. */
function nativeArgs(snapshot: Snapshot, path: unknown, format: unknown, options: unknown): NativeArgs {
  let file: string
  if (typeof path === 'string') file = path
  else if (path instanceof URL) file = fileURLToPath(path)
  else throw new TypeError(`path must be a string or a file URL, not ${typeOf(path)}`)
  if (typeof format !== 'string') {
    throw new TypeError(`format must be a string (one of ${EXPORT_FORMATS.map((f) => `'${f}'`).join(', ')}), not ${typeOf(format)}`)
  }
  if (options === undefined || options === null) options = {}
  if (typeof options !== 'object') throw new TypeError(`options must be an object, not ${typeOf(options)}`)
  const { base, title, minFraction } = options as ExportOptions
  if (base !== undefined && !(base instanceof Snapshot)) throw new TypeError(`options.base must be a Snapshot, not ${typeOf(base)}`)
  if (title !== undefined && typeof title !== 'string') throw new TypeError(`options.title must be a string, not ${typeOf(title)}`)
  if (minFraction !== undefined && typeof minFraction !== 'number') {
    throw new TypeError(`options.minFraction must be a number, not ${typeOf(minFraction)}`)
  }
  return [
    snapshot.native,
    metaJson(snapshot),
    file,
    format,
    base === undefined ? null : base.native,
    { title, minFraction, baseMeta: base === undefined ? undefined : metaJson(base) },
  ]
}

/**
 * Writes `snapshot` to `path` in `format`, atomically; returns the file's
 * size in bytes. Unknown formats throw a `RangeError` listing the valid ones.
 */
export function exportSnapshot(snapshot: Snapshot, path: string | URL, format: ExportFormat, options?: ExportOptions): number {
  return nativeExport(...nativeArgs(snapshot, path, format, options))
}

/**
 * {@link exportSnapshot} off the JavaScript thread: bad arguments throw at
 * once; the file is written on a worker thread, and the promise resolves to
 * its size in bytes (or rejects with an `Error` naming the file).
 */
export function exportSnapshotAsync(
  snapshot: Snapshot,
  path: string | URL,
  format: ExportFormat,
  options?: ExportOptions,
): Promise<number> {
  return nativeExportAsync(...nativeArgs(snapshot, path, format, options))
}
