/**
 * The native snapshot file format (`docs/format.md`): `Snapshot.dump`,
 * `Snapshot.load`, their async variants (the work runs off the JavaScript
 * thread) and the `Buffer` variants. The engine reads and writes the bytes;
 * this module checks arguments and carries the metadata
 * ({@link CaptureInfo}, `tracebackLimit`, unknown keys) both ways.
 * @module
 */
import { fileURLToPath } from 'node:url'

import { metaJson, snapshotFromFile } from '../meta'
import {
  snapshotDump,
  snapshotDumpAsync,
  snapshotFromBuffer,
  snapshotLoad,
  snapshotLoadAsync,
  snapshotToBuffer,
  type LoadedSnapshot,
} from '../native'
import type { Snapshot } from '../snapshot'

/** A path as the file functions take it: a string or a `file:` URL. */
export type SnapshotPath = string | URL

/** Names a JavaScript value's type for error messages. */
function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object'
  return typeof value
}

/** Checks a path argument and turns a `file:` URL into a path. */
function toPath(path: unknown): string {
  if (typeof path === 'string') {
    if (path.length === 0) throw new TypeError('path must not be empty')
    return path
  }
  if (path instanceof URL) return fileURLToPath(path)
  throw new TypeError(`path must be a string or a file URL, got ${typeName(path)}`)
}

function fromLoaded(loaded: LoadedSnapshot): Snapshot {
  const meta = loaded.meta
  return snapshotFromFile(loaded.takeSnapshot(), meta)
}

/** Writes `snapshot` to `path`, atomically (see `Snapshot.dump`). */
export function dumpSnapshot(snapshot: Snapshot, path: SnapshotPath): void {
  snapshotDump(snapshot.native, metaJson(snapshot), toPath(path))
}

/** {@link dumpSnapshot} on a worker thread of libuv's pool. */
export async function dumpSnapshotAsync(snapshot: Snapshot, path: SnapshotPath): Promise<void> {
  await snapshotDumpAsync(snapshot.native, metaJson(snapshot), toPath(path))
}

/** Reads a snapshot file (see `Snapshot.load`). */
export function loadSnapshot(path: SnapshotPath): Snapshot {
  return fromLoaded(snapshotLoad(toPath(path)))
}

/** {@link loadSnapshot} on a worker thread of libuv's pool. */
export async function loadSnapshotAsync(path: SnapshotPath): Promise<Snapshot> {
  return fromLoaded(await snapshotLoadAsync(toPath(path)))
}

/** The bytes of the file `dumpSnapshot` would write. */
export function snapshotBuffer(snapshot: Snapshot): Buffer {
  return snapshotToBuffer(snapshot.native, metaJson(snapshot))
}

/** Reads the bytes of a snapshot file. */
export function snapshotFromBytes(bytes: Uint8Array): Snapshot {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`bytes must be a Buffer or a Uint8Array, got ${typeName(bytes)}`)
  }
  return fromLoaded(snapshotFromBuffer(bytes))
}
