/**
 * The default source-line reader of `Traceback.format()`, like Python's
 * `linecache.getline`: whole files are read once and cached.
 * @module
 */
import { readFileSync, statSync } from 'node:fs'

/** Reads one source line: `(filename, lineno) => line` ('' when unknown). */
export type GetLine = (filename: string, lineno: number) => string

const MAX_FILE_BYTES = 64 * 1024 * 1024
const MAX_CACHED_FILES = 256
const cache = new Map<string, readonly string[]>()

function readLines(filename: string): readonly string[] {
  const hit = cache.get(filename)
  if (hit !== undefined) return hit
  let lines: readonly string[] = []
  try {
    if (statSync(filename).size <= MAX_FILE_BYTES) {
      lines = readFileSync(filename, 'utf8').split(/\r\n|\r|\n/)
    }
  } catch {
    // Unreadable or missing: no source line, as in Python.
  }
  if (cache.size >= MAX_CACHED_FILES) cache.delete(cache.keys().next().value as string)
  cache.set(filename, lines)
  return lines
}

/** Returns line `lineno` (1-based) of `filename`, or '' when it cannot be read. */
export const getline: GetLine = (filename, lineno) => {
  if (!Number.isInteger(lineno) || lineno < 1) return ''
  return readLines(filename)[lineno - 1] ?? ''
}

/** Forgets every cached file (Python's `linecache.clearcache`). */
export function clearLineCache(): void {
  cache.clear()
}
