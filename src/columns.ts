/**
 * Columnar input of snapshots: the fast path, and the conversion of CPython
 * style raw traces into it.
 * @module
 */
import { checkUint, parseRawFrame } from './frame'
import { NONE, type SnapshotColumns as NativeColumns, type TablesColumns } from './native'
import { jsTypeName } from './jstype'
import { rejectUnknownKeys } from './options'

/**
 * A snapshot as columns: the fast way to build one (`Snapshot.fromColumns`).
 * Ids index the tables given alongside; equal table entries are merged.
 */
export interface SnapshotColumns {
  /** Every string (file and function names). */
  strings: readonly string[]
  /** Frames as `[file, line, column, function]` quadruples of string ids; column 0 = none, function 0xFFFFFFFF = none. */
  frames: Uint32Array
  /** End offset in `seqFrames` of each frame sequence. */
  seqEnds: Uint32Array
  /** Frame ids of all sequences, most recent call first. */
  seqFrames: Uint32Array
  /** Tracebacks as `[sequence, totalNframe]` pairs; totalNframe 0xFFFFFFFF = none. */
  tracebacks: Uint32Array
  /** Domain of each trace. */
  domain: Uint32Array
  /** Size in bytes of each trace. */
  size: Float64Array
  /** Traceback id of each trace. */
  traceback: Uint32Array
  /** Sampling weight of each trace (omit when all are 1). */
  weight?: Float64Array
}

/** Every key of {@link SnapshotColumns}. */
const COLUMNS: readonly string[] = Object.keys({
  strings: true,
  frames: true,
  seqEnds: true,
  seqFrames: true,
  tracebacks: true,
  domain: true,
  size: true,
  traceback: true,
  weight: true,
} satisfies Record<keyof SnapshotColumns, true>)

/** Joins the string table for the engine (one string, plus lengths). @internal */
export function toNative(c: SnapshotColumns): NativeColumns {
  if (c === null || typeof c !== 'object') throw new TypeError(`columns must be an object, not ${jsTypeName(c)}`)
  rejectUnknownKeys(c, COLUMNS, 'column', 'Snapshot.fromColumns()')
  if (!Array.isArray(c.strings)) throw new TypeError(`strings must be an array of strings, not ${jsTypeName(c.strings)}`)
  const lengths = new Uint32Array(c.strings.length)
  c.strings.forEach((s, i) => {
    if (typeof s !== 'string') throw new TypeError(`strings[${i}] must be a string, not ${jsTypeName(s)}`)
    lengths[i] = s.length
  })
  const typed = { frames: Uint32Array, seqEnds: Uint32Array, seqFrames: Uint32Array, tracebacks: Uint32Array, domain: Uint32Array, size: Float64Array, traceback: Uint32Array } as const
  for (const [name, ctor] of Object.entries(typed)) {
    if (!((c as unknown as Record<string, unknown>)[name] instanceof ctor)) throw new TypeError(`columns.${name} must be a ${ctor.name}`)
  }
  if (c.weight !== undefined && !(c.weight instanceof Float64Array)) throw new TypeError('columns.weight must be a Float64Array')
  return {
    tables: {
      strings: c.strings.join(''),
      stringLengths: lengths,
      frames: c.frames,
      seqEnds: c.seqEnds,
      seqFrames: c.seqFrames,
      tracebacks: c.tracebacks,
    },
    traces: { domain: c.domain, size: c.size, traceback: c.traceback, weight: c.weight },
  }
}

/** A growable Uint32Array. */
class U32 {
  a = new Uint32Array(64)
  n = 0
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Uint32Array(this.a.length * 2)
      b.set(this.a)
      this.a = b
    }
    this.a[this.n++] = v
  }
  done(): Uint32Array {
    return this.a.slice(0, this.n)
  }
}

/**
 * Interns strings, frames and frame sequences into engine-ready columns.
 * @internal
 */
export class TableBuilder {
  readonly strings: string[] = []
  readonly frames = new U32()
  readonly seqEnds = new U32()
  readonly seqFrames = new U32()
  readonly #stringIds = new Map<string, number>()
  readonly #frameIds = new Map<string, number>()
  readonly #seqIds = new Map<string, number>()

  /** Id of a string. */
  str(s: string): number {
    let id = this.#stringIds.get(s)
    if (id === undefined) {
      id = this.strings.length
      this.strings.push(s)
      this.#stringIds.set(s, id)
    }
    return id
  }

  /** Id of a frame; `column` 0 and `func` NONE mean none. */
  frame(file: string, line: number, column: number, func: string | null): number {
    const f = this.str(file)
    const fn = func === null ? NONE : this.str(func)
    const key = `${f},${line},${column},${fn}`
    let id = this.#frameIds.get(key)
    if (id === undefined) {
      id = this.#frameIds.size
      this.#frameIds.set(key, id)
      this.frames.push(f)
      this.frames.push(line)
      this.frames.push(column)
      this.frames.push(fn)
    }
    return id
  }

  /** Id of a frame sequence (frame ids, most recent first). */
  seq(ids: readonly number[]): number {
    const key = ids.join(',')
    let seq = this.#seqIds.get(key)
    if (seq === undefined) {
      seq = this.#seqIds.size
      this.#seqIds.set(key, seq)
      for (const id of ids) this.seqFrames.push(id)
      this.seqEnds.push(this.seqFrames.n)
    }
    return seq
  }

  /** The tables as the engine takes them, with `tracebacks` as flat `[sequence, totalNframe]` pairs. */
  tables(tracebacks: readonly number[]): TablesColumns {
    return {
      strings: this.strings.join(''),
      stringLengths: Uint32Array.from(this.strings, (s) => s.length),
      frames: this.frames.done(),
      seqEnds: this.seqEnds.done(),
      seqFrames: this.seqFrames.done(),
      tracebacks: Uint32Array.from(tracebacks),
    }
  }
}

/**
 * Converts raw traces `[domain, size, frames, totalNframe]` (frames most
 * recent first) into columns, interning as it goes. Frame arrays shared
 * between traces are recognised by identity, so CPython-style data that
 * shares tuples converts quickly.
 * @internal
 */
export function columnsFromRaw(traces: Iterable<unknown>): SnapshotColumns {
  if (traces === null || typeof (traces as Iterable<unknown>)?.[Symbol.iterator] !== 'function') {
    throw new TypeError(`traces must be an iterable of raw traces, not ${jsTypeName(traces)}`)
  }
  const b = new TableBuilder()
  const seqByArray = new Map<unknown, number>()
  const tracebacks = new U32()
  const tbIds = new Map<number, Map<number, number>>()
  const domain = new U32()
  const traceback = new U32()
  const sizes: number[] = []
  const ids: number[] = []

  const seqOf = (rawFrames: unknown, where: string): number => {
    const cached = seqByArray.get(rawFrames)
    if (cached !== undefined) return cached
    if (!Array.isArray(rawFrames)) throw new TypeError(`${where}: frames must be an array of frames, not ${jsTypeName(rawFrames)}`)
    ids.length = 0
    for (let j = 0; j < rawFrames.length; j++) {
      const [file, line, col, func] = parseRawFrame(rawFrames[j], `${where}: frames[${j}]`)
      ids.push(b.frame(file, line, col ?? 0, func))
    }
    const seq = b.seq(ids)
    seqByArray.set(rawFrames, seq)
    return seq
  }

  let i = 0
  for (const raw of traces as Iterable<unknown>) {
    const where = `traces[${i}]`
    if (!Array.isArray(raw) || raw.length !== 4) {
      throw new TypeError(`${where} must be an array [domain, size, frames, totalNframe], not ${jsTypeName(raw)}`)
    }
    domain.push(checkUint(raw[0], `${where}: domain`, 0xffffffff))
    sizes.push(checkUint(raw[1], `${where}: size`, Number.MAX_SAFE_INTEGER))
    const seq = seqOf(raw[2], where)
    const total = raw[3] === null || raw[3] === undefined ? NONE : checkUint(raw[3], `${where}: totalNframe`, 0xfffffffe)
    let bySeq = tbIds.get(seq)
    if (bySeq === undefined) tbIds.set(seq, (bySeq = new Map()))
    let tb = bySeq.get(total)
    if (tb === undefined) {
      tb = tracebacks.n / 2
      bySeq.set(total, tb)
      tracebacks.push(seq)
      tracebacks.push(total)
    }
    traceback.push(tb)
    i++
  }
  return {
    strings: b.strings,
    frames: b.frames.done(),
    seqEnds: b.seqEnds.done(),
    seqFrames: b.seqFrames.done(),
    tracebacks: tracebacks.done(),
    domain: domain.done(),
    size: Float64Array.from(sizes),
    traceback: traceback.done(),
  }
}
