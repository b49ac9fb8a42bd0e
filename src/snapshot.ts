/**
 * `Snapshot`: CPython's snapshot of traces, backed by the Rust engine.
 * @module
 */
import { columnsFromRaw, toNative, type SnapshotColumns } from './columns'
import { exportSnapshot, exportSnapshotAsync, type ExportFormat, type ExportOptions } from './files/export'
import { DomainFilter, Filter, WINDOWS } from './filter'
import {
  dumpSnapshot,
  dumpSnapshotAsync,
  loadSnapshot,
  loadSnapshotAsync,
  snapshotBuffer,
  snapshotFromBytes,
  type SnapshotPath,
} from './files/native-format'
import { NativeSnapshot, type TraceColumns } from './native'
import { jsTypeName } from './jstype'
import { pyRepr, pyTypeName } from './pyformat'
import { KeyRef, Statistic, StatisticDiff } from './statistic'
import { TablesView } from './tables'
import { Traces, type RawTrace } from './trace'
import * as importers from './files/import'

/**
 * How `statistics()` and `compareTo()` group traces: CPython's three key
 * types, plus `function` (file name and function name of the most recent
 * frame) and `package` (the npm package of the most recent frame's file:
 * `name` or `@scope/name` after the innermost `node_modules`, `node:` for
 * Node's own scripts, `(app)` for the rest; cumulative counts each package
 * on the stack once per trace). A package key is a one-frame traceback
 * whose file name is the package and whose line is 0.
 */
export type KeyType = 'filename' | 'lineno' | 'traceback' | 'function' | 'package'

/** Every {@link KeyType}, in CPython's order. */
export const KEY_TYPES: readonly string[] = ['traceback', 'filename', 'lineno', 'function', 'package']

/** Checks a key type with CPython's messages and order of checks. */
function checkKeyType(keyType: unknown, cumulative: unknown): asserts keyType is KeyType {
  if (typeof keyType !== 'string' || !KEY_TYPES.includes(keyType)) {
    const shown = typeof keyType === 'string' ? pyRepr(keyType) : keyType == null ? 'None' : String(keyType)
    throw new RangeError(`unknown key_type: ${shown}`)
  }
  if (cumulative && keyType === 'traceback') {
    throw new RangeError(`cumulative mode cannot by used with key type ${pyRepr(keyType)}`)
  }
}

/** Rounds an estimate once, at the edge; exact integers pass through. */
const edge = (v: number): number => (Number.isInteger(v) ? v : Math.round(v))

/** How a live snapshot was captured; `null` for snapshots built from data. */
export interface CaptureInfo {
  /** `'sampled'`: sizes and counts are estimates; `'exact'`: every object. */
  mode: 'sampled' | 'exact'
  /** Mean bytes between samples, in sampled mode. */
  samplingInterval: number | null
  /** `process.version` of the traced process, when known. */
  nodeVersion: string | null
  /** Process id of the traced process, when known. */
  pid: number | null
  /** When the snapshot was taken, in ms since the epoch, when known. */
  time: number | null
  /** The file format the traces were first read from (`'heapprofile'`, `'heapsnapshot'`); `null` for a live capture. */
  origin: string | null
  /** What the capture measured about its own accuracy, when known. */
  quality?: CaptureQuality | null
}

/** What a live capture measured about its own accuracy, at the snapshot's sync. */
export interface CaptureQuality {
  /**
   * Sampled mode: bytes of the calling thread's traced heap by how the
   * object size behind them was found. V8 reports each sample's size
   * multiplied by its count, so a small object's size, and thus its count,
   * is ambiguous. `solved` bytes have their size settled by V8's per-site
   * totals (counts carry sampling error only); `borrowed` bytes take the
   * size solved at another site with the same sample size; `guessed` bytes
   * take the smallest size that fits, so their counts can read high (up to
   * about 100x at the default interval); `foreign` bytes were sampled at
   * another interval (each sample counts once). Byte totals do not depend on it.
   */
  sizeBasis?: {
    /** Bytes whose object size V8's per-site totals settled. */
    solved: number
    /** Bytes whose object size was solved at another site with the same sample size. */
    borrowed: number
    /** Bytes whose object size is the smallest that fits (counts can read high). */
    guessed: number
    /** Bytes sampled at another interval (each sample counts once). */
    foreign: number
  }
  /**
   * Exact mode: live objects that V8's allocation tracker no longer maps to
   * their allocation site, although an earlier sync saw them there (they
   * keep that site). V8 loses an object's site when a compacting GC moves
   * it after a heap snapshot gave it an id; tracemalloc turns compaction
   * off while tracking, so this stays 0 unless something else turned it on.
   */
  trackerLost?: number
}

/** Decoded tables, shared by the snapshots that share engine tables. */
interface TablesRef {
  view?: TablesView
}

/** Set while {@link Snapshot.wrap} runs the constructor. */
let wrapping:
  | { native: NativeSnapshot; tables: TablesRef; info: CaptureInfo | null; extra: Readonly<Record<string, unknown>> }
  | undefined

const NO_EXTRA: Readonly<Record<string, unknown>> = Object.freeze({})

/**
 * An immutable set of traces: CPython's `Snapshot`. Grouping, diffing and
 * filtering run in the Rust engine; results cross in bulk.
 */
export class Snapshot {
  /** Maximum frames per traceback when the snapshot was taken (metadata only, as in CPython). */
  tracebackLimit: number
  /** How the snapshot was captured, or `null` when it was built from data. */
  readonly captureInfo: CaptureInfo | null
  /** Metadata keys of a loaded file that this version does not know, kept so a dump writes them back. @internal */
  readonly extraMeta: Readonly<Record<string, unknown>>
  readonly #native: NativeSnapshot
  readonly #tables: TablesRef
  #columns: TraceColumns | undefined
  #traces: Traces | undefined

  /**
   * Creates a snapshot from raw traces `[domain, size, frames, totalNframe]`,
   * frames most recent first, as CPython's `Snapshot(traces, traceback_limit)`.
   */
  constructor(traces: Iterable<RawTrace>, tracebackLimit: number) {
    this.tracebackLimit = tracebackLimit
    if (wrapping !== undefined) {
      this.#native = wrapping.native
      this.#tables = wrapping.tables
      this.captureInfo = wrapping.info
      this.extraMeta = wrapping.extra
      wrapping = undefined
    } else {
      this.#native = NativeSnapshot.fromColumns(toNative(columnsFromRaw(traces)))
      this.#tables = {}
      this.captureInfo = null
      this.extraMeta = NO_EXTRA
    }
  }

  /** Wraps an engine snapshot; `tables` is shared with snapshots of the same engine tables. @internal */
  static wrap(
    native: NativeSnapshot,
    tracebackLimit: number,
    tables: TablesRef = {},
    info: CaptureInfo | null = null,
    extra: Readonly<Record<string, unknown>> = NO_EXTRA,
  ): Snapshot {
    wrapping = { native, tables, info, extra }
    try {
      return new Snapshot([], tracebackLimit)
    } finally {
      wrapping = undefined
    }
  }

  /** Builds a snapshot from columns: the fast path for large data. */
  static fromColumns(columns: SnapshotColumns, tracebackLimit: number): Snapshot {
    return Snapshot.wrap(NativeSnapshot.fromColumns(toNative(columns)), tracebackLimit)
  }

  /** Imports a V8 `.heapprofile` file (see `docs/importers.md`). */
  static fromHeapProfile(path: string | URL, options?: importers.HeapProfileOptions): Snapshot {
    return importers.fromHeapProfile(path, options)
  }

  /** {@link Snapshot.fromHeapProfile} off the main thread. */
  static fromHeapProfileAsync(path: string | URL, options?: importers.HeapProfileOptions): Promise<Snapshot> {
    return importers.fromHeapProfileAsync(path, options)
  }

  /** Imports a V8 `.heapsnapshot` file, of any size (see `docs/importers.md`). */
  static fromHeapSnapshot(path: string | URL, options?: importers.ImportOptions): Snapshot {
    return importers.fromHeapSnapshot(path, options)
  }

  /** {@link Snapshot.fromHeapSnapshot} off the main thread. */
  static fromHeapSnapshotAsync(path: string | URL, options?: importers.ImportOptions): Promise<Snapshot> {
    return importers.fromHeapSnapshotAsync(path, options)
  }

  /** @internal */
  get native(): NativeSnapshot {
    return this.#native
  }

  /** @internal */
  get tables(): TablesView {
    return (this.#tables.view ??= new TablesView(this.#native.tables()))
  }

  /** The traces, as a lazy sequence of {@link Trace}. */
  get traces(): Traces {
    return (this.#traces ??= new Traces(
      this.#native.length,
      () => (this.#columns ??= this.#native.traceColumns()),
      () => this.tables,
    ))
  }

  /**
   * A new snapshot with the traces that pass `filters` (CPython's rules:
   * any inclusive filter matches, or there is none, and every exclusive
   * filter lets the trace through). An empty list gives a copy.
   */
  filterTraces(filters: Iterable<Filter | DomainFilter>): Snapshot {
    if (
      filters === null ||
      filters === undefined ||
      typeof (filters as Iterable<unknown>)[Symbol.iterator] !== 'function' ||
      filters instanceof Filter ||
      filters instanceof DomainFilter
    ) {
      throw new TypeError(`filters must be a list of filters, not ${pyTypeName(filters)}`)
    }
    const inputs = Array.from(filters as Iterable<unknown>, (f, i) => {
      if (f instanceof Filter || f instanceof DomainFilter) return f.toInput()
      throw new TypeError(`filters[${i}] must be a Filter or a DomainFilter, not ${jsTypeName(f)}`)
    })
    const native = this.#native.filterTraces(inputs, WINDOWS)
    return Snapshot.wrap(native, this.tracebackLimit, this.#tables, this.captureInfo, this.extraMeta)
  }

  /**
   * Groups the traces by `keyType`, sorted by size, count and traceback,
   * largest first (CPython's `statistics`). With `cumulative`, every frame of
   * a traceback counts, not only the most recent one.
   */
  statistics(keyType: KeyType, cumulative = false): Statistic[] {
    checkKeyType(keyType, cumulative)
    const r = this.#native.statistics(keyType, Boolean(cumulative))
    const tables = this.tables
    const out: Statistic[] = new Array(r.size.length)
    for (let i = 0; i < out.length; i++) {
      out[i] = new Statistic(new KeyRef(tables, r.keys, i, r.extraStrings, keyType === 'package'), edge(r.size[i]!), edge(r.count[i]!))
    }
    return out
  }

  /**
   * Compares with an older snapshot (CPython's `compare_to`): one
   * {@link StatisticDiff} per group of either, sorted by |sizeDiff|, size,
   * |countDiff|, count and traceback, largest first.
   */
  compareTo(oldSnapshot: Snapshot, keyType: KeyType, cumulative = false): StatisticDiff[] {
    if (!(oldSnapshot instanceof Snapshot)) {
      throw new TypeError(`oldSnapshot must be a Snapshot, not ${jsTypeName(oldSnapshot)}`)
    }
    checkKeyType(keyType, cumulative)
    const r = this.#native.compareTo(oldSnapshot.#native, keyType, Boolean(cumulative))
    const sides = [this.tables, oldSnapshot.tables]
    const extras = [r.newExtraStrings, r.oldExtraStrings]
    const out: StatisticDiff[] = new Array(r.size.length)
    for (let i = 0; i < out.length; i++) {
      out[i] = new StatisticDiff(
        new KeyRef(sides[r.side[i]!]!, r.keys, i, extras[r.side[i]!], keyType === 'package'),
        edge(r.size[i]!),
        edge(r.sizeDiff[i]!),
        edge(r.count[i]!),
        edge(r.countDiff[i]!),
      )
    }
    return out
  }

  /**
   * Writes the snapshot to `path` in the native format (`docs/format.md`):
   * compressed, checksummed, and atomic (a reader of `path` sees the old
   * file or the new one, never half of one). CPython's `Snapshot.dump`,
   * without pickle. Metadata ({@link captureInfo}, {@link tracebackLimit})
   * goes with it.
   */
  dump(path: SnapshotPath): void {
    dumpSnapshot(this, path)
  }

  /** {@link dump} with the encoding and the write off the JavaScript thread. */
  dumpAsync(path: SnapshotPath): Promise<void> {
    return dumpSnapshotAsync(this, path)
  }

  /**
   * Reads a snapshot written by {@link dump} (CPython's `Snapshot.load`).
   * Loading never runs code from the file, and a damaged or foreign file
   * gets an error naming the file and what is wrong. Traces come back
   * grouped by traceback, not in their original order.
   */
  static load(path: SnapshotPath): Snapshot {
    return loadSnapshot(path)
  }

  /** {@link load} with the reading and decoding off the JavaScript thread. */
  static loadAsync(path: SnapshotPath): Promise<Snapshot> {
    return loadSnapshotAsync(path)
  }

  /** The bytes {@link dump} would write, as a `Buffer`. */
  toBuffer(): Buffer {
    return snapshotBuffer(this)
  }

  /** Reads a snapshot from the bytes of a file ({@link toBuffer}'s output). */
  static fromBuffer(bytes: Uint8Array): Snapshot {
    return snapshotFromBytes(bytes)
  }

  /**
   * Writes the snapshot to `path` in another tool's format (`'pprof'`,
   * `'heapprofile'`, `'speedscope'`, `'collapsed'`, `'json'`, `'csv'`,
   * `'jsonl'`, `'flamegraph'`; see `docs/exporters.md`), atomically. With
   * `options.base`, `'flamegraph'` draws a differential flame graph.
   * Returns the file's size in bytes.
   */
  export(path: string | URL, format: ExportFormat, options?: ExportOptions): number {
    return exportSnapshot(this, path, format, options)
  }

  /** {@link Snapshot.export} off the JavaScript thread; resolves to the file's size in bytes. */
  exportAsync(path: string | URL, format: ExportFormat, options?: ExportOptions): Promise<number> {
    return exportSnapshotAsync(this, path, format, options)
  }

  /** Bytes the engine holds for this snapshot: its trace columns and its (shared) tables. */
  memoryUsage(): {
    /** Bytes of this snapshot's own trace columns. */
    columns: number
    /** Bytes of the frame and traceback tables, which snapshots of one capture share. */
    tables: number
  } {
    return this.#native.memory()
  }
}
