/**
 * Source lines as `Traceback.format()` prints them: a minified bundle's
 * line can be megabytes long, so long lines are cut to a window, around the
 * frame's column when it is known, with `...` marking what was cut.
 * @module
 */

/** Default longest source line `Traceback.format()` prints, in UTF-16 code units, ellipses included. */
export const DEFAULT_MAX_LINE_LENGTH = 160

const ELLIPSIS = '...'

/** Moves `i` off the low half of a surrogate pair, so that a cut never splits a character. */
function charBoundary(s: string, i: number): number {
  const c = s.charCodeAt(i)
  return i > 0 && i < s.length && c >= 0xdc00 && c <= 0xdfff ? i - 1 : i
}

/**
 * Cuts `line` (already stripped) to at most `max` code units. When the
 * frame's 0-based position in it (`at`) is known and would fall outside the
 * first `max` units, the window is centred on it. Lines that fit come back
 * unchanged; `max` of Infinity never cuts.
 */
export function clipSourceLine(line: string, at: number | null, max: number = DEFAULT_MAX_LINE_LENGTH): string {
  if (line.length <= max) return line
  const room = Math.max(1, max - ELLIPSIS.length)
  if (at === null || at < room - ELLIPSIS.length) {
    return line.slice(0, charBoundary(line, room)) + ELLIPSIS
  }
  const inner = Math.max(1, max - 2 * ELLIPSIS.length)
  let start = charBoundary(line, Math.max(0, at - Math.floor(inner / 3)))
  let end = charBoundary(line, start + inner)
  if (end >= line.length) {
    // The window reaches the end: keep all of the tail.
    start = charBoundary(line, line.length - room)
    end = line.length
    return ELLIPSIS + line.slice(start)
  }
  return ELLIPSIS + line.slice(start, end) + ELLIPSIS
}
