/**
 * Reading a snapshot file given on the command line, whatever it holds: the
 * native format (`snapshot.dump`), a V8 `.heapprofile` or a V8
 * `.heapsnapshot`. The kind is recognised by content (the native magic
 * bytes, or the first key of the JSON document), not by the file's name.
 * @module
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs'

import { Snapshot } from '../snapshot'
import { aboutFile, InputError } from './errors'
import { progressBar } from './progress'

/** What a snapshot file holds. */
export type InputKind = 'tracemalloc' | 'heapprofile' | 'heapsnapshot'

/** The native format's magic bytes (`docs/format.md`). */
const MAGIC = Buffer.from('\x89TMS\r\n\x1a\n', 'latin1')
/** Bytes read to recognise a file. */
const HEAD_BYTES = 4096

/** First keys of the JSON documents V8 writes, by kind. */
const JSON_KEYS: Record<string, InputKind> = {
  snapshot: 'heapsnapshot',
  nodes: 'heapsnapshot',
  strings: 'heapsnapshot',
  head: 'heapprofile',
  samples: 'heapprofile',
}

/** The start of a file as text for an error message: printable ASCII, escaped otherwise. */
function shown(head: Buffer): string {
  const bytes = head.subarray(0, 16)
  let s = ''
  for (const b of bytes) {
    const plain = b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c
    s += plain ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`
  }
  return `"${s}"${head.length > 16 ? '...' : ''}`
}

/** Recognises a file by its first bytes; throws an {@link InputError} naming the file otherwise. */
export function sniff(file: string): InputKind {
  let st
  try {
    st = statSync(file)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new InputError(`${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`)
  }
  if (!st.isFile()) throw new InputError(`${file}: not a regular file`)
  const head = Buffer.alloc(Math.min(HEAD_BYTES, st.size))
  let fd: number | undefined
  try {
    fd = openSync(file, 'r')
    readSync(fd, head, 0, head.length, 0)
  } catch (e) {
    throw new InputError(aboutFile(file, (e as Error).message))
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  if (head.length === 0) throw new InputError(`${file}: the file is empty`)
  if (head.length >= MAGIC.length && head.subarray(0, MAGIC.length).equals(MAGIC)) return 'tracemalloc'
  const text = head.toString('utf8').replace(/^\uFEFF/, '')
  const key = /^\s*\{\s*"([A-Za-z_]{1,32})"\s*:/.exec(text)?.[1]
  const kind = key === undefined ? undefined : JSON_KEYS[key]
  if (kind !== undefined) return kind
  const what = key === undefined ? `it starts with ${shown(head)}` : `it is a JSON object whose first key is ${JSON.stringify(key)}`
  throw new InputError(
    `${file}: not a snapshot file: ${what}; expected a tracemalloc snapshot (snapshot.dump), ` +
      'a V8 .heapprofile (JSON starting with "head") or a V8 .heapsnapshot (JSON starting with "snapshot")',
  )
}

/** A snapshot read from a file, with what the file held. */
export interface Loaded {
  snapshot: Snapshot
  kind: InputKind
}

/**
 * Reads `file` (any kind {@link sniff} knows), off the JavaScript thread,
 * with a progress bar on stderr when it is a terminal. Every failure is an
 * {@link InputError} naming the file.
 */
export async function loadInput(file: string): Promise<Loaded> {
  const kind = sniff(file)
  const bar = progressBar(`reading ${file}`)
  const options = bar.onProgress === undefined ? undefined : { onProgress: bar.onProgress }
  try {
    let snapshot: Snapshot
    if (kind === 'tracemalloc') snapshot = await Snapshot.loadAsync(file)
    else if (kind === 'heapprofile') snapshot = await Snapshot.fromHeapProfileAsync(file, options)
    else snapshot = await Snapshot.fromHeapSnapshotAsync(file, options)
    return { snapshot, kind }
  } catch (e) {
    throw new InputError(aboutFile(file, (e as Error).message))
  } finally {
    bar.end()
  }
}
