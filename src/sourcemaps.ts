/**
 * Source-mapped frames: with source maps on (`--enable-source-maps`,
 * `process.setSourceMapsEnabled(true)`, `module.setSourceMapsSupport(true)`),
 * sampled frames name the original file, line and column (of the function's
 * start, as V8 reports it) instead of the generated JavaScript.
 *
 * Node's `findSourceMap()` knows only the maps of modules loaded while maps
 * were on, in its own thread; otherwise the map is read here from the
 * script's `sourceMappingURL` comment (an inline `data:` URL or a file
 * next to it). `findEntry()` returns the nearest preceding mapping, even
 * from an earlier line: a mapping counts only when it starts on the
 * frame's own generated line; otherwise the generated frame stays.
 * @module
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs'
import * as nodeModule from 'node:module'
import { dirname, isAbsolute, resolve } from 'node:path'
import { isNodeInternalFile, scriptPathOf } from './native'

/** Largest script or map file read to find a map. */
const MAX_BYTES = 64 * 1024 * 1024
const MAX_CACHED = 1024

/** What Node's typings of `module.SourceMap` promise, and what older versions lack. */
type SourceMapLike = InstanceType<typeof nodeModule.SourceMap>

/** A usable map, and the directory its relative sources resolve against. */
interface Loaded {
  map: SourceMapLike
  base: string
}

const cache = new Map<string, Loaded | null>()

/** True when Node has source maps on in this thread. */
export function sourceMapsEnabled(): boolean {
  const support = (nodeModule as { getSourceMapsSupport?: () => { enabled: boolean } }).getSourceMapsSupport
  if (typeof support === 'function' && support().enabled) return true
  return (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true
}

/** True once {@link enableSourceMaps} turned source maps on in this thread (they were off). */
let enabledHere = false

/** Turns source maps on, the way this Node offers (for `tracemalloc/register`). */
export function enableSourceMaps(): void {
  if (sourceMapsEnabled()) return
  const set = (nodeModule as { setSourceMapsSupport?: (on: boolean) => void }).setSourceMapsSupport
  if (typeof set === 'function') set(true)
  else process.setSourceMapsEnabled(true)
  enabledHere = true
}

/**
 * True when tracemalloc turned source maps on in this thread (rather than
 * the program or `--enable-source-maps`): what Node's source-map code then
 * allocates is a cost of tracing, like tracemalloc's own allocations.
 */
export function sourceMapsEnabledByTracemalloc(): boolean {
  return enabledHere && sourceMapsEnabled()
}

/** The text of a regular file of at most {@link MAX_BYTES}, else undefined. Never blocks on a pipe. */
function readSmallFile(file: string): string | undefined {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch {
    return undefined
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile() || st.size > MAX_BYTES) return undefined
    const buf = Buffer.allocUnsafe(st.size)
    let used = 0
    while (used < st.size) {
      const n = readSync(fd, buf, used, st.size - used, null)
      if (n === 0) break
      used += n
    }
    return buf.toString('utf8', 0, used)
  } finally {
    closeSync(fd)
  }
}

/** The payload of a `data:` URL (base64 or percent-encoded). */
function dataUrlText(url: string): string | undefined {
  const comma = url.indexOf(',')
  if (comma < 0) return undefined
  const head = url.slice(5, comma)
  const body = url.slice(comma + 1)
  return head.endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body)
}

/** Reads the map that `file`'s last `sourceMappingURL` comment names. */
function readMapOf(file: string): Loaded | null {
  const text = readSmallFile(file)
  if (text === undefined) return null
  const re = /\/\/[#@]\s*sourceMappingURL=(\S+)\s*$/gm
  let url: string | undefined
  for (let m = re.exec(text); m !== null; m = re.exec(text)) url = m[1]
  if (url === undefined) return null
  let json: string | undefined
  let base = dirname(file)
  if (url.startsWith('data:')) {
    json = dataUrlText(url)
  } else {
    const mapFile = url.startsWith('file:') ? scriptPathOf(url) : resolve(dirname(file), decodeURIComponent(url))
    json = readSmallFile(mapFile)
    base = dirname(mapFile)
  }
  if (json === undefined) return null
  const payload = JSON.parse(json) as { sourceRoot?: string }
  if (typeof payload.sourceRoot === 'string' && payload.sourceRoot !== '') base = resolve(base, payload.sourceRoot)
  return { map: new nodeModule.SourceMap(payload as never), base }
}

function loaded(file: string): Loaded | null {
  let hit = cache.get(file)
  if (hit !== undefined) return hit
  hit = null
  try {
    const known = nodeModule.findSourceMap(file)
    hit = known ? { map: known, base: dirname(file) } : readMapOf(file)
  } catch {
    // An unreadable or malformed map: the generated frame stays.
    hit = null
  }
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string)
  cache.set(file, hit)
  return hit
}

/** A source of a map as a file name: file URLs become paths; relative names resolve against the map. */
function sourceFile(source: string, base: string): string {
  if (source.startsWith('file:')) return scriptPathOf(source)
  if (/^[a-z][a-z0-9+.-]*:/i.test(source) || isAbsolute(source)) return source
  return resolve(base, source)
}

/** Whether each original source named by a map is a file on disk. */
const present = new Map<string, boolean>()

/** True when `file` is a regular file (cached, like the maps). */
function isPresent(file: string): boolean {
  let hit = present.get(file)
  if (hit === undefined) {
    try {
      hit = isAbsolute(file) && statSync(file).isFile()
    } catch {
      hit = false
    }
    if (present.size >= MAX_CACHED) present.delete(present.keys().next().value as string)
    present.set(file, hit)
  }
  return hit
}

/**
 * The original `[file, line, column]` (1-based) of generated position
 * `line:column` (1-based) of `file`, or null when there is no map, no
 * mapping on that line, or no original file on disk to open: packages
 * often ship maps that name sources they do not ship (`src/*.ts` of a
 * package that publishes only `lib/`), and then the generated file,
 * which is there, is the better pointer.
 */
export function mapPosition(file: string, line: number, column: number): [string, number, number] | null {
  if (line < 1 || column < 1 || isNodeInternalFile(file)) return null
  const m = loaded(file)
  if (m === null) return null
  const e = m.map.findEntry(line - 1, column - 1) as Partial<nodeModule.SourceMapping>
  if (e.generatedLine !== line - 1 || typeof e.originalSource !== 'string' || typeof e.originalLine !== 'number') return null
  const original = sourceFile(e.originalSource, m.base)
  if (!isPresent(original)) return null
  return [original, e.originalLine + 1, (e.originalColumn ?? 0) + 1]
}

/** Forgets every map read, and which sources exist (scripts may be rebuilt while the process runs). */
export function clearSourceMapCache(): void {
  cache.clear()
  present.clear()
}
