/**
 * `Filter` and `DomainFilter`: CPython's trace filters.
 * @module
 */
import type { FilterInput } from './native'
import { jsTypeName } from './jstype'

/** True on Windows, where CPython matches file names case-insensitively with `/` equal to `\`. */
export const WINDOWS = process.platform === 'win32'

/**
 * CPython's `_normalize_filename`: `os.path.normcase` (lower case and `\`
 * separators on Windows, nothing elsewhere), then a trailing `.pyc` becomes `.py`.
 */
export function normalizeFilename(filename: string, windows = WINDOWS): string {
  let f = windows ? filename.replace(/\//g, '\\').toLowerCase() : filename
  if (f.endsWith('.pyc')) f = f.slice(0, -1)
  return f
}

function optionalNumber(what: string, v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined
  if (typeof v !== 'number') throw new TypeError(`Filter.${what} must be a number or null, not ${jsTypeName(v)}`)
  return v
}

/**
 * Keeps (`inclusive`) or drops traces whose most recent frame (or any frame,
 * with `allFrames`) matches `filenamePattern` (Python `fnmatch` rules), and,
 * when set, `lineno` and `domain`. All attributes but the pattern can be
 * changed later; they are read when `filterTraces()` runs.
 */
export class Filter {
  /** Keep matching traces (true) or drop them (false). */
  inclusive: boolean
  /** Only frames at this line match, or `null` for any line. */
  lineno: number | null
  /** Check every frame instead of only the most recent one. */
  allFrames: boolean
  /** Only traces of this domain are concerned, or `null` for all. */
  domain: number | null
  readonly #pattern: string

  /**
   * Creates a filter, as CPython's `Filter(inclusive, filename_pattern,
   * lineno=None, all_frames=False, domain=None)`.
   */
  constructor(inclusive: boolean, filenamePattern: string, lineno: number | null = null, allFrames = false, domain: number | null = null) {
    if (typeof filenamePattern !== 'string') {
      throw new TypeError(`filenamePattern must be a string, not ${jsTypeName(filenamePattern)}`)
    }
    this.inclusive = inclusive
    this.#pattern = normalizeFilename(filenamePattern)
    this.lineno = lineno ?? null
    this.allFrames = allFrames
    this.domain = domain ?? null
  }

  /** The normalised pattern (read-only, as in CPython). */
  get filenamePattern(): string {
    return this.#pattern
  }

  /** The engine's view of this filter, read now. @internal */
  toInput(): FilterInput {
    return {
      inclusive: Boolean(this.inclusive),
      pattern: this.#pattern,
      lineno: optionalNumber('lineno', this.lineno),
      allFrames: Boolean(this.allFrames),
      domain: optionalNumber('domain', this.domain),
    }
  }
}

/** Keeps (`inclusive`) or drops the traces of one domain: CPython's `DomainFilter`. */
export class DomainFilter {
  /** Keep the domain's traces (true) or drop them (false). */
  inclusive: boolean
  readonly #domain: number

  /** Creates a domain filter, as CPython's `DomainFilter(inclusive, domain)`. */
  constructor(inclusive: boolean, domain: number) {
    if (typeof domain !== 'number') {
      throw new TypeError(`domain must be a number, not ${jsTypeName(domain)}`)
    }
    this.inclusive = inclusive
    this.#domain = domain
  }

  /** The domain (read-only, as in CPython). */
  get domain(): number {
    return this.#domain
  }

  /** The engine's view of this filter, read now. @internal */
  toInput(): FilterInput {
    return { inclusive: Boolean(this.inclusive), allFrames: false, domain: this.#domain }
  }
}
