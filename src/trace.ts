/**
 * `Trace` and the lazy `Traces` sequence of a snapshot.
 * @module
 */
import type { RawFrame } from './frame'
import { formatSize } from './pyformat'
import type { TablesView } from './tables'
import type { TraceColumns } from './native'
import { Traceback } from './traceback'

/** A raw trace: `[domain, size, frames (most recent first), totalNframe]`, CPython's tuple. */
export type RawTrace = readonly [domain: number, size: number, frames: readonly RawFrame[], totalNframe: number | null]

/** One traced memory block: CPython's `Trace`. */
export class Trace {
  /** Address space: 0 is the main thread's JS heap, a worker's is its threadId. */
  readonly domain: number
  /** Size of the block in bytes (for a sample, the sampled object's size). */
  readonly size: number
  /** How many blocks this trace stands for: 1 when exact, the sampling scale otherwise. */
  readonly weight: number
  #traceback: Traceback

  /**
   * Creates a trace from a raw `[domain, size, frames, totalNframe]` array
   * (frames most recent first), as CPython's `Trace(trace)`.
   */
  constructor(trace: RawTrace) {
    if (!Array.isArray(trace) || trace.length !== 4) {
      throw new TypeError('trace must be an array [domain, size, frames, totalNframe]')
    }
    const [domain, size, frames, totalNframe] = trace
    for (const [what, v] of [['domain', domain], ['size', size]] as const) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        throw new RangeError(`trace ${what} must be a non-negative integer, got ${String(v)}`)
      }
    }
    this.domain = domain
    this.size = size
    this.weight = 1
    this.#traceback = new Traceback(frames, totalNframe)
  }

  /** Builds a trace from engine fields. @internal */
  static of(domain: number, size: number, traceback: Traceback, weight: number): Trace {
    const t = new Trace([domain, size, [], null])
    ;(t as { weight: number }).weight = weight
    t.#traceback = traceback
    return t
  }

  /** Where the block was allocated, with the stack's real depth as `totalNframe`. */
  get traceback(): Traceback {
    return this.#traceback
  }

  /** Python's `str(trace)`: `oldest-frame: size`. */
  toString(): string {
    return `${this.#traceback}: ${formatSize(this.size, false)}`
  }

  /** Python's `repr(trace)`. */
  repr(): string {
    return `<Trace domain=${this.domain} size=${formatSize(this.size, false)}, traceback=${this.#traceback.repr()}>`
  }

  /** The raw form `[domain, size, frames, totalNframe]`. */
  toJSON(): RawTrace {
    return [this.domain, this.size, this.#traceback.toJSON(), this.#traceback.totalNframe]
  }

  /** Python's `==`: domain, size, frames and totalNframe all equal (and weight). */
  equals(other: Trace): boolean {
    return (
      other instanceof Trace &&
      this.domain === other.domain &&
      this.size === other.size &&
      this.weight === other.weight &&
      this.#traceback.totalNframe === other.#traceback.totalNframe &&
      this.#traceback.equals(other.#traceback)
    )
  }
}

/**
 * The traces of a snapshot: a lazy sequence that builds a {@link Trace} only
 * when one is read. It has `length`, `at(i)` (negative indexes allowed),
 * `slice()` and iteration.
 */
export class Traces implements Iterable<Trace> {
  readonly #length: number
  readonly #columns: () => TraceColumns
  readonly #tables: () => TablesView

  /** @internal */
  constructor(length: number, columns: () => TraceColumns, tables: () => TablesView) {
    this.#length = length
    this.#columns = columns
    this.#tables = tables
  }

  /** Number of traces. */
  get length(): number {
    return this.#length
  }

  #make(i: number): Trace {
    const c = this.#columns()
    return Trace.of(c.domain[i]!, c.size[i]!, this.#tables().traceback(c.traceback[i]!), c.weight ? c.weight[i]! : 1)
  }

  /** Trace `i`; negative indexes count from the end. */
  at(i: number): Trace {
    if (!Number.isInteger(i)) throw new TypeError(`index must be an integer, got ${i}`)
    const j = i < 0 ? i + this.#length : i
    if (j < 0 || j >= this.#length) throw new RangeError(`index ${i} out of range for ${this.#length} traces`)
    return this.#make(j)
  }

  /** Traces `start..end`, like a Python slice: an array. */
  slice(start?: number, end?: number): Trace[] {
    const idx = Array.from({ length: this.#length }, (_, i) => i).slice(start, end)
    return idx.map((i) => this.#make(i))
  }

  /** Iterates the traces in snapshot order. */
  *[Symbol.iterator](): Iterator<Trace> {
    for (let i = 0; i < this.#length; i++) yield this.#make(i)
  }

  /** True when an equal trace is in the sequence (Python's `in`). */
  includes(trace: Trace): boolean {
    for (const t of this) if (t.equals(trace)) return true
    return false
  }

  /** True when both sequences hold equal traces in the same order. */
  equals(other: Traces): boolean {
    if (!(other instanceof Traces) || other.length !== this.length) return false
    for (let i = 0; i < this.#length; i++) if (!this.#make(i).equals(other.#make(i))) return false
    return true
  }

  /** Python's `repr(snapshot.traces)`: `<Traces len=N>`. */
  repr(): string {
    return `<Traces len=${this.#length}>`
  }

  /** Same as {@link Traces.repr}, as Python's `str()` is. */
  toString(): string {
    return this.repr()
  }
}
