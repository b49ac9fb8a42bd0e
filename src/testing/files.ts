/**
 * Files that tests write: atomic writes (temporary file in the same
 * directory, fsync, rename), a cross-process lock for read-modify-write of
 * shared JSON files (baselines, results) by concurrent test workers, and the
 * snapshot files that failure messages name.
 * @module
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { threadId } from 'node:worker_threads'

import { metaOf } from '../meta'
import type { Snapshot } from '../snapshot'

let serial = 0

/** Writes `data` to `path` atomically: readers see the old file or the whole new one, never a part. */
export function writeFileAtomic(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${threadId}.${++serial}.tmp`)
  const fd = openSync(tmp, 'w', 0o644)
  try {
    writeSync(fd, data)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  try {
    renameSync(tmp, path)
  } catch (e) {
    rmSync(tmp, { force: true })
    throw e
  }
}

/** A lock older than this is taken to be left by a dead process. */
const STALE_MS = 30_000
const WAIT_MS = 60_000

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Runs `fn` holding `<path>.lock`, an exclusive lock between processes and
 * threads (created with O_EXCL, holding the owner's pid). A lock whose owner
 * is gone, or older than 30 s, is broken. Synchronous, so it also works in
 * an `exit` handler.
 */
export function withFileLock<T>(path: string, fn: () => T): T {
  const lock = `${path}.lock`
  mkdirSync(dirname(path), { recursive: true })
  const deadline = Date.now() + WAIT_MS
  let delay = 1
  for (;;) {
    try {
      const fd = openSync(lock, 'wx')
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      let stale = false
      try {
        const owner = Number(readFileSync(lock, 'utf8').trim())
        stale = (owner > 0 && owner !== process.pid && !pidAlive(owner)) || Date.now() - statSync(lock).mtimeMs > STALE_MS
      } catch {
        continue // released meanwhile
      }
      if (stale) {
        rmSync(lock, { force: true })
        continue
      }
      if (Date.now() > deadline) throw new Error(`${lock}: still locked after ${WAIT_MS / 1000} s; remove it if no test run is going on`)
      sleep(delay)
      delay = Math.min(delay * 2, 50)
    }
  }
  try {
    return fn()
  } finally {
    rmSync(lock, { force: true })
  }
}

/** Reads a JSON file, or returns `fallback` when it does not exist. Errors name the file. */
export function readJson<T>(path: string, fallback: T): T {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fallback
    throw e
  }
  try {
    return JSON.parse(text) as T
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`)
  }
}

/**
 * Saves a snapshot where `tracemalloc` tools can read it, and returns the
 * path written. The one place that chooses the format: JSON for now
 * (`{ format, meta, traces: [[domain, size, weight, frames, totalNframe]] }`,
 * frames most recent first as `[file, line, column, function]`); it moves to
 * the native snapshot format once that exists.
 */
export function saveSnapshot(snapshot: Snapshot, path: string): string {
  const traces = []
  for (const t of snapshot.traces) traces.push([t.domain, t.size, t.weight, t.traceback.toJSON(), t.traceback.totalNframe])
  const file = path.endsWith('.json') ? path : `${path}.json`
  writeFileAtomic(file, JSON.stringify({ format: 'tracemalloc-snapshot-json', version: 1, meta: metaOf(snapshot), traces }))
  return file
}
