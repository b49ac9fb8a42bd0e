/**
 * The default source-line reader of `Traceback.format()`, like Python's
 * `linecache.getline`: whole files are read once and cached. Frames name
 * files the program did not choose to have read (a script called
 * `/dev/zero`, a named pipe), so only regular files are read, never
 * blocking, and never more than {@link MAX_FILE_BYTES}.
 * @module
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs'

/** Reads one source line: `(filename, lineno) => line` ('' when unknown). */
export type GetLine = (filename: string, lineno: number) => string

/** Files larger than this are not read: their lines show as unknown. */
const MAX_FILE_BYTES = 64 * 1024 * 1024
const MAX_CACHED_FILES = 256
const cache = new Map<string, readonly string[]>()

/**
 * The text of `filename` when it is a regular file of at most
 * {@link MAX_FILE_BYTES} bytes, else undefined. Opening does not block (a
 * pipe that replaced the file after the first check is refused by the
 * second), and reading stops at the cap whatever size the file claims
 * (procfs files claim 0 bytes).
 */
function readRegularFile(filename: string): string | undefined {
  if (!statSync(filename).isFile()) return undefined
  const fd = openSync(filename, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  try {
    const st = fstatSync(fd)
    if (!st.isFile() || st.size > MAX_FILE_BYTES) return undefined
    let buf = Buffer.allocUnsafe(Math.max(st.size + 1, 64 * 1024))
    let used = 0
    for (;;) {
      if (used === buf.length) {
        if (buf.length > MAX_FILE_BYTES) return undefined
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, MAX_FILE_BYTES + 1))
        buf.copy(bigger, 0, 0, used)
        buf = bigger
      }
      const n = readSync(fd, buf, used, buf.length - used, null)
      if (n === 0) break
      used += n
    }
    return used > MAX_FILE_BYTES ? undefined : buf.toString('utf8', 0, used)
  } finally {
    closeSync(fd)
  }
}

function readLines(filename: string): readonly string[] {
  const hit = cache.get(filename)
  if (hit !== undefined) return hit
  let lines: readonly string[] = []
  try {
    const text = readRegularFile(filename)
    if (text !== undefined) lines = text.split(/\r\n|\r|\n/)
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
