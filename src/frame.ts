/**
 * `Frame`: one position of a traceback.
 * @module
 */
import { jsTypeName } from './jstype'
import { compareCodePoints, pyRepr } from './pyformat'

/**
 * A raw frame: `[filename, lineno]` as in CPython, or for JavaScript
 * `[filename, lineno, column, functionName]` (column 1-based).
 */
export type RawFrame =
  | readonly [filename: string, lineno: number]
  | readonly [filename: string, lineno: number, column: number | null | undefined, functionName?: string | null]

const MAX_U32 = 0xffffffff

/**
 * Checks that `value` is an integer in [0, max] and returns it; `label`
 * names it in the TypeError or RangeError.
 * @internal
 */
export function checkUint(value: unknown, label: string, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${label} must be a number, not ${jsTypeName(value)}`)
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${label} must be an integer in [0, ${max}], got ${value}`)
  }
  return value
}

/**
 * Validates a raw frame and returns its four fields; `where` names it in errors.
 * @internal
 */
export function parseRawFrame(
  raw: unknown,
  where: string,
): [filename: string, lineno: number, column: number | null, functionName: string | null] {
  if (!Array.isArray(raw) || raw.length < 2 || raw.length > 4) {
    throw new TypeError(`${where} must be an array [filename, lineno] or [filename, lineno, column, functionName]`)
  }
  const [filename, lineno, column, functionName] = raw as unknown[]
  if (typeof filename !== 'string') {
    throw new TypeError(`${where}: filename must be a string, not ${jsTypeName(filename)}`)
  }
  const line = checkUint(lineno, `${where}: lineno`, MAX_U32)
  const col = column === undefined || column === null || column === 0 ? null : checkUint(column, `${where}: column`, MAX_U32)
  if (functionName !== undefined && functionName !== null && typeof functionName !== 'string') {
    throw new TypeError(`${where}: functionName must be a string or null, not ${jsTypeName(functionName)}`)
  }
  return [filename, line, col, (functionName as string | null | undefined) ?? null]
}

/**
 * One frame of a traceback: CPython's `Frame`, plus the column and function
 * name that JavaScript frames carry.
 *
 * V8 reports the position where the allocating *function* starts, so for
 * JavaScript frames `lineno`/`column` locate a function, not the allocating line.
 */
export class Frame {
  /** The file name (a path for JavaScript, `file://` URLs normalised). */
  readonly filename: string
  /** Line number; 1-based for JavaScript, 0 when unknown. */
  readonly lineno: number
  /** Column number (1-based), or `null` for frames without one (CPython's data). */
  readonly column: number | null
  /** Function name, or `null` when the frame carries none. */
  readonly functionName: string | null

  /** Creates a frame from a raw `[filename, lineno, column?, functionName?]` array. */
  constructor(frame: RawFrame) {
    const [filename, lineno, column, functionName] = parseRawFrame(frame, 'frame')
    this.filename = filename
    this.lineno = lineno
    this.column = column
    this.functionName = functionName
  }

  /** Builds a frame from trusted fields. @internal */
  static of(filename: string, lineno: number, column: number | null, functionName: string | null): Frame {
    const f: Frame = Object.create(Frame.prototype)
    ;(f as { filename: string }).filename = filename
    ;(f as { lineno: number }).lineno = lineno
    ;(f as { column: number | null }).column = column
    ;(f as { functionName: string | null }).functionName = functionName
    return f
  }

  /**
   * Python's `str(frame)`: `file:line`, `file:line:column` for JavaScript
   * frames (followed by ` (via join)` when builtins were folded into the
   * frame), and `file:function` for a function key (line 0, no column).
   */
  toString(): string {
    // A frame that absorbed builtins says so, which also tells it from the same function's own row.
    const via = this.functionName?.match(/ \(via [^()]*\)$/)?.[0] ?? ''
    if (this.column !== null) return `${this.filename}:${this.lineno}:${this.column}${via}`
    if (this.lineno === 0 && this.functionName !== null) return `${this.filename}:${this.functionName || '(anonymous)'}`
    return `${this.filename}:${this.lineno}`
  }

  /** Python's `repr(frame)`, e.g. `<Frame filename='a.py' lineno=2>`. */
  repr(): string {
    let s = `<Frame filename=${pyRepr(this.filename)} lineno=${this.lineno}`
    if (this.column !== null) s += ` column=${this.column}`
    if (this.functionName !== null) s += ` function=${pyRepr(this.functionName)}`
    return s + '>'
  }

  /** The raw array form, `[filename, lineno]` or with column and function name. */
  toJSON(): RawFrame {
    return this.column === null && this.functionName === null
      ? [this.filename, this.lineno]
      : [this.filename, this.lineno, this.column, this.functionName]
  }

  /** True when both frames have the same fields (Python's `==`). */
  equals(other: Frame): boolean {
    return Frame.compare(this, other) === 0
  }

  /**
   * Orders frames like Python orders `(filename, lineno)` tuples: file name
   * by code point, then line, then column, then function name (none first).
   */
  static compare(a: Frame, b: Frame): number {
    return (
      compareCodePoints(a.filename, b.filename) ||
      Math.sign(a.lineno - b.lineno) ||
      Math.sign((a.column ?? 0) - (b.column ?? 0)) ||
      (a.functionName === b.functionName
        ? 0
        : a.functionName === null
          ? -1
          : b.functionName === null
            ? 1
            : compareCodePoints(a.functionName, b.functionName))
    )
  }
}
