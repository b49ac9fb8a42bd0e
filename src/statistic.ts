/**
 * `Statistic` and `StatisticDiff`: rows of `statistics()` and `compareTo()`.
 * @module
 */
import { formatCount, formatSize } from './pyformat'
import type { TablesView } from './tables'
import type { Traceback } from './traceback'

/** A group key not yet turned into a Traceback: row `row` of an engine key column. @internal */
export class KeyRef {
  constructor(
    readonly tables: TablesView,
    readonly keys: Uint32Array,
    readonly row: number,
    /** Strings keys name beyond the tables (see `TablesView.frameOf`). */
    readonly extra: readonly string[] = [],
    /** A `package` key: its text is the package's name alone. */
    readonly byPackage = false,
  ) {}
}

/** A traceback, or the engine key it will be built from on first read. @internal */
export type TracebackSource = Traceback | KeyRef

function resolve(src: TracebackSource): Traceback {
  return src instanceof KeyRef ? src.tables.keyTraceback(src.keys, src.row, src.extra) : src
}

function average(size: number, count: number): string {
  return count ? `, average=${formatSize(size / count, false)}` : ''
}

/** A group of traces keyed by a traceback that is built on first read. */
abstract class Grouped {
  #traceback: TracebackSource
  #byPackage: boolean

  constructor(traceback: TracebackSource) {
    this.#traceback = traceback
    this.#byPackage = traceback instanceof KeyRef && traceback.byPackage
  }

  /** The key as `str()` prints it: the traceback, or a package's name for the `package` key type. */
  protected get keyText(): string {
    const tb = this.traceback
    return this.#byPackage ? (tb.at(0)?.filename ?? String(tb)) : String(tb)
  }

  /** The group key: a traceback without totalNframe. */
  get traceback(): Traceback {
    this.#traceback = resolve(this.#traceback)
    return this.#traceback
  }

  /** Replaces the group key (the attribute is writable in CPython too). */
  set traceback(tb: Traceback) {
    this.#traceback = tb
    this.#byPackage = false
  }
}

/**
 * One group of `Snapshot.statistics()`: CPython's `Statistic`. For a
 * sampled snapshot, `size` and `count` are estimates, rounded once here.
 */
export class Statistic extends Grouped {
  /** Total size of the group's blocks, in bytes. */
  size: number
  /** Number of blocks in the group. */
  count: number

  /** Creates a statistic, as CPython's `Statistic(traceback, size, count)`. */
  constructor(traceback: TracebackSource, size: number, count: number) {
    super(traceback)
    this.size = size
    this.count = count
  }

  /** Python's `str()`: `a.py:5: size=5002 B, count=2, average=2501 B`. */
  override toString(): string {
    return `${this.keyText}: size=${formatSize(this.size, false)}, count=${formatCount(this.count, false)}${average(this.size, this.count)}`
  }

  /** Python's `repr()`: `<Statistic traceback=<Traceback ...> size=5002 count=2>`. */
  repr(): string {
    return `<Statistic traceback=${this.traceback.repr()} size=${formatCount(this.size, false)} count=${formatCount(this.count, false)}>`
  }

  /** Python's `==`: same traceback, size and count. */
  equals(other: Statistic): boolean {
    return (
      other instanceof Statistic &&
      this.size === other.size &&
      this.count === other.count &&
      this.traceback.equals(other.traceback)
    )
  }
}

/** One group of `Snapshot.compareTo()`: CPython's `StatisticDiff`. */
export class StatisticDiff extends Grouped {
  /** Size in the new snapshot, in bytes. */
  size: number
  /** New size minus old size. */
  sizeDiff: number
  /** Number of blocks in the new snapshot. */
  count: number
  /** New count minus old count. */
  countDiff: number

  /** Creates a diff, as CPython's `StatisticDiff(traceback, size, size_diff, count, count_diff)`. */
  constructor(traceback: TracebackSource, size: number, sizeDiff: number, count: number, countDiff: number) {
    super(traceback)
    this.size = size
    this.sizeDiff = sizeDiff
    this.count = count
    this.countDiff = countDiff
  }

  /** Python's `str()`: `a.py:5: size=5002 B (+5000 B), count=2 (+1), average=2501 B`. */
  override toString(): string {
    return (
      `${this.keyText}: size=${formatSize(this.size, false)} (${formatSize(this.sizeDiff, true)}), ` +
      `count=${formatCount(this.count, false)} (${formatCount(this.countDiff, true)})${average(this.size, this.count)}`
    )
  }

  /** Python's `repr()`. */
  repr(): string {
    return (
      `<StatisticDiff traceback=${this.traceback.repr()} size=${formatCount(this.size, false)} ` +
      `(${formatCount(this.sizeDiff, true)}) count=${formatCount(this.count, false)} (${formatCount(this.countDiff, true)})>`
    )
  }

  /** Python's `==`: all fields equal. */
  equals(other: StatisticDiff): boolean {
    return (
      other instanceof StatisticDiff &&
      this.size === other.size &&
      this.sizeDiff === other.sizeDiff &&
      this.count === other.count &&
      this.countDiff === other.countDiff &&
      this.traceback.equals(other.traceback)
    )
  }
}
