/**
 * `Traceback`: a sequence of frames, oldest first, as in CPython 3.7+.
 * @module
 */
import { Frame, type RawFrame, parseRawFrame } from './frame'
import { getline as defaultGetline, type GetLine } from './linecache'
import { jsTypeName } from './jstype'
import { rejectUnknownKeys } from './options'
import { pyStrip } from './pyformat'
import { clipSourceLine, DEFAULT_MAX_LINE_LENGTH } from './sourceline'

/** Options of {@link Traceback.format}. */
export interface FormatOptions {
  /** Replaces the default source-line reader (which reads the files). */
  getline?: GetLine
  /**
   * Longest source line printed, in UTF-16 code units (default
   * 160); longer lines are cut to a window
   * around the frame's column, with `...` where text was left out.
   * `Infinity` prints whole lines, as CPython does.
   */
  maxLineLength?: number
}

/** Every key of {@link FormatOptions}. */
const FORMAT_OPTIONS: readonly string[] = Object.keys({ getline: true, maxLineLength: true } satisfies Record<keyof FormatOptions, true>)

function normalizeIndex(i: number, length: number): number {
  if (!Number.isInteger(i)) throw new TypeError(`index must be an integer, got ${i}`)
  const j = i < 0 ? i + length : i
  if (j < 0 || j >= length) throw new RangeError(`index ${i} out of range for length ${length}`)
  return j
}

/**
 * A traceback: CPython's `Traceback`. It is indexed **oldest first**:
 * `at(0)` is the oldest frame and `at(-1)` the most recent, while the
 * constructor takes frames most recent first, like CPython's raw traces.
 */
export class Traceback implements Iterable<Frame> {
  #frames: readonly Frame[] | undefined
  #load: (() => readonly Frame[]) | undefined
  readonly #totalNframe: number | null

  /**
   * Creates a traceback from frames given **most recent first**, and the
   * stack depth before truncation (`null` when unknown).
   */
  constructor(frames: Iterable<RawFrame | Frame>, totalNframe: number | null = null) {
    if (frames === null || typeof (frames as Iterable<unknown>)?.[Symbol.iterator] !== 'function') {
      throw new TypeError('frames must be an iterable of frames')
    }
    const list: Frame[] = []
    let i = 0
    for (const f of frames) {
      list.push(f instanceof Frame ? f : Frame.of(...parseRawFrame(f, `frames[${i}]`)))
      i++
    }
    this.#frames = list.reverse()
    if (totalNframe !== null && totalNframe !== undefined && (!Number.isInteger(totalNframe) || totalNframe < 0)) {
      throw new RangeError(`totalNframe must be a non-negative integer or null, got ${totalNframe}`)
    }
    this.#totalNframe = totalNframe ?? null
  }

  /** Builds a traceback whose frames (oldest first) are produced on first use. @internal */
  static lazy(load: () => readonly Frame[], totalNframe: number | null): Traceback {
    const tb = new Traceback([], totalNframe)
    tb.#frames = undefined
    tb.#load = load
    return tb
  }

  #all(): readonly Frame[] {
    if (this.#frames === undefined) {
      this.#frames = this.#load!()
      this.#load = undefined
    }
    return this.#frames
  }

  /** The stack depth before truncation, or `null` (for statistics keys). */
  get totalNframe(): number | null {
    return this.#totalNframe
  }

  /** Number of frames. */
  get length(): number {
    return this.#all().length
  }

  /** Frame `i`, oldest first; negative indexes count from the most recent. */
  at(i: number): Frame {
    const frames = this.#all()
    return frames[normalizeIndex(i, frames.length)]!
  }

  /** Frames `start..end` (oldest first), like a Python slice: an array, not a Traceback. */
  slice(start?: number, end?: number): Frame[] {
    return this.#all().slice(start, end)
  }

  /** Iterates the frames oldest first. */
  [Symbol.iterator](): Iterator<Frame> {
    return this.#all()[Symbol.iterator]()
  }

  /** True when an equal frame is in the traceback (Python's `in`). */
  includes(frame: Frame): boolean {
    return this.#all().some((f) => f.equals(frame))
  }

  /** The frames most recent first: the raw order of CPython's traces. */
  toJSON(): RawFrame[] {
    return this.#all()
      .map((f) => f.toJSON())
      .reverse()
  }

  /**
   * Python's `str(traceback)`: the **oldest** frame, as CPython does.
   * Throws a RangeError on an empty traceback (CPython raises IndexError).
   */
  toString(): string {
    const frames = this.#all()
    if (frames.length === 0) throw new RangeError('tuple index out of range: the traceback is empty')
    return frames[0]!.toString()
  }

  /** Python's `repr(traceback)`. */
  repr(): string {
    const frames = this.#all()
    const inner = frames.length === 1 ? `${frames[0]!.repr()},` : frames.map((f) => f.repr()).join(', ')
    return `<Traceback (${inner})${this.#totalNframe === null ? '' : ` total_nframe=${this.#totalNframe}`}>`
  }

  /** True when both have the same frames; `totalNframe` is ignored, as in CPython. */
  equals(other: Traceback): boolean {
    return Traceback.compare(this, other) === 0
  }

  /** Orders tracebacks like CPython: oldest-first frames, lexicographically. */
  static compare(a: Traceback, b: Traceback): number {
    const fa = a.#all()
    const fb = b.#all()
    const n = Math.min(fa.length, fb.length)
    for (let i = 0; i < n; i++) {
      const c = Frame.compare(fa[i]!, fb[i]!)
      if (c !== 0) return c
    }
    return Math.sign(fa.length - fb.length)
  }

  /**
   * Formats the traceback as lines, like CPython's `Traceback.format()`:
   * `limit > 0` keeps the `limit` most recent frames, `limit <= 0` drops the
   * `|limit|` most recent ones; `mostRecentFirst` reverses the order after
   * that. Each frame gives `  File "name", line N` (JavaScript frames add the
   * column and function) and, when the source line is found, that line stripped.
   */
  format(limit: number | null = null, mostRecentFirst = false, options: FormatOptions = {}): string[] {
    if (limit !== null && limit !== undefined && !Number.isInteger(limit)) {
      throw new TypeError(`limit must be an integer or null, got ${limit}`)
    }
    if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, not ${jsTypeName(options)}`)
    rejectUnknownKeys(options, FORMAT_OPTIONS, 'option', 'Traceback.format()')
    let frames = this.#all().slice()
    if (limit !== null && limit !== undefined) {
      frames = limit > 0 ? frames.slice(-limit) : frames.slice(0, limit)
    }
    if (mostRecentFirst) frames.reverse()
    const getline = options.getline ?? defaultGetline
    const maxLine = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH
    if (typeof maxLine !== 'number' || !(maxLine >= 1) || (!Number.isInteger(maxLine) && maxLine !== Infinity)) {
      throw new RangeError(`options.maxLineLength must be a positive integer or Infinity, got ${String(maxLine)}`)
    }
    const lines: string[] = []
    for (const f of frames) {
      let head = `  File "${f.filename}", line ${f.lineno}`
      if (f.column !== null) head += `, column ${f.column}`
      if (f.functionName !== null) head += `, in ${f.functionName || '(anonymous)'}`
      lines.push(head)
      const raw = String(getline(f.filename, f.lineno) ?? '')
      const source = pyStrip(raw)
      if (source) {
        // The frame's 0-based position in the stripped line, when known.
        const at = f.column === null || f.column < 1 ? null : f.column - 1 - raw.indexOf(source)
        lines.push(`    ${clipSourceLine(source, at, maxLine)}`)
      }
    }
    return lines
  }
}
