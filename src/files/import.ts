/**
 * Snapshots imported from V8's files: `.heapprofile` (sampling heap
 * profiles, from `node --heap-prof` or DevTools) and `.heapsnapshot` (heap
 * snapshots, with or without allocation stacks). The Rust engine reads the
 * file as a stream, so no JavaScript string ever holds it: files over 2 GB
 * import. See `docs/importers.md`.
 * @module
 */
import { fileURLToPath } from 'node:url'

import {
  importHeapProfile,
  importHeapProfileAsync,
  importHeapSnapshot,
  importHeapSnapshotAsync,
  type ImportedFile,
} from '../native'
import { snapshotFromFile } from '../meta'
import type { Snapshot } from '../snapshot'

/** Options of every importer. */
export interface ImportOptions {
  /**
   * Called now and then with the bytes read so far and the file's size,
   * and once at the end with both equal. In the async variants it runs on
   * the main thread while the file is read on a worker thread; an exception
   * it throws rejects the promise.
   */
  onProgress?(done: number, total: number): void
}

/** Options of `Snapshot.fromHeapProfile` and `Snapshot.fromHeapProfileAsync`. */
export interface HeapProfileOptions extends ImportOptions {
  /**
   * The sampling interval the profile was taken with, in bytes (`node
   * --heap-prof` uses 512 KiB unless `--heap-prof-interval` says otherwise;
   * DevTools 32 KiB). Without it, the largest power of two that explains
   * the samples is taken, and the snapshot's metadata says it was inferred.
   */
  samplingInterval?: number
}

/** A JavaScript type name for error messages. */
function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an Array'
  return typeof value
}

/** Checks a path argument: a string or a `file:` URL. */
function pathOf(path: unknown): string {
  if (typeof path === 'string') return path
  if (path instanceof URL) return fileURLToPath(path)
  throw new TypeError(`path must be a string or a URL, not ${typeName(path)}`)
}

/** Checks the options and returns the progress callback, if any. */
function progressOf(options: ImportOptions | undefined): ((done: number, total: number) => void) | undefined {
  if (options === undefined) return undefined
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, not ${typeName(options)}`)
  }
  const cb = options.onProgress
  if (cb !== undefined && typeof cb !== 'function') {
    throw new TypeError(`options.onProgress must be a function, not ${typeName(cb)}`)
  }
  return cb
}

/** Checks `samplingInterval`. */
function profileOptions(options: HeapProfileOptions | undefined): { samplingInterval?: number } {
  const v = options?.samplingInterval
  if (v === undefined) return {}
  if (typeof v !== 'number') throw new TypeError(`options.samplingInterval must be a number, not ${typeName(v)}`)
  if (!(Number.isFinite(v) && v > 0)) {
    throw new RangeError(`options.samplingInterval must be a finite number > 0, got ${v}`)
  }
  return { samplingInterval: v }
}

function wrap(file: ImportedFile): Snapshot {
  return snapshotFromFile(file.takeSnapshot(), file.meta)
}

/**
 * Runs an async import: progress reports that arrive after the import
 * ended are dropped, the final `(bytes, bytes)` report is always made, and
 * an exception from `onProgress` rejects the promise.
 */
async function runAsync(
  start: (cb: ((done: number, total: number) => void) | undefined) => Promise<ImportedFile>,
  onProgress: ((done: number, total: number) => void) | undefined,
): Promise<Snapshot> {
  if (onProgress === undefined) return wrap(await start(undefined))
  let open = true
  let last = -1
  let failure: { error: unknown } | undefined
  const report = (done: number, total: number): void => {
    if (!open || failure !== undefined) return
    try {
      last = done
      onProgress(done, total)
    } catch (error) {
      failure = { error }
    }
  }
  let file: ImportedFile
  try {
    file = await start(report)
  } finally {
    open = false
  }
  if (failure === undefined && last !== file.bytesRead) {
    open = true
    report(file.bytesRead, file.bytesRead)
    open = false
  }
  if (failure !== undefined) throw failure.error
  return wrap(file)
}

/**
 * Imports a V8 `.heapprofile` file: one trace per sample, charged to its
 * stack, with the sample's object size and weight (the objects it stands
 * for), as a live sampled capture gives. Errors name the file and the byte
 * offset or field that was wrong.
 */
export function fromHeapProfile(path: string | URL, options?: HeapProfileOptions): Snapshot {
  const p = pathOf(path)
  const onProgress = progressOf(options)
  return wrap(importHeapProfile(p, profileOptions(options), onProgress))
}

/** `fromHeapProfile` on a worker thread: the event loop keeps running. */
export async function fromHeapProfileAsync(path: string | URL, options?: HeapProfileOptions): Promise<Snapshot> {
  const p = pathOf(path)
  const onProgress = progressOf(options)
  const opts = profileOptions(options)
  return runAsync((cb) => importHeapProfileAsync(p, opts, cb), onProgress)
}

/**
 * Imports a V8 `.heapsnapshot` file: one trace per heap object, charged to
 * its allocation stack when the snapshot was taken with allocation tracking,
 * else to a pseudo-frame `<heap TYPE>:Constructor`. Streams the file, so
 * files over 2 GB import. Errors name the file and the byte offset or field
 * that was wrong.
 */
export function fromHeapSnapshot(path: string | URL, options?: ImportOptions): Snapshot {
  const p = pathOf(path)
  return wrap(importHeapSnapshot(p, progressOf(options)))
}

/** {@link fromHeapSnapshot} on a worker thread: the event loop keeps running. */
export async function fromHeapSnapshotAsync(path: string | URL, options?: ImportOptions): Promise<Snapshot> {
  const p = pathOf(path)
  const onProgress = progressOf(options)
  return runAsync((cb) => importHeapSnapshotAsync(p, cb), onProgress)
}
