/**
 * A JavaScript view of an engine snapshot's interned tables: strings,
 * frames, frame sequences and tracebacks, materialised lazily.
 * @module
 */
import { Frame } from './frame'
import { NONE, type TablesColumns } from './native'
import { Traceback } from './traceback'

/** Kinds of group keys in engine results (see `StatisticsColumns`). */
const KEY_FRAME = 0
const KEY_SEQ = 1

/**
 * Decoded tables, shared by every snapshot that shares the engine tables.
 * @internal
 */
export class TablesView {
  readonly strings: readonly string[]
  readonly #cols: TablesColumns
  readonly #frames: (Frame | undefined)[]

  constructor(cols: TablesColumns) {
    this.#cols = cols
    const joined = cols.strings
    const out: string[] = new Array(cols.stringLengths.length)
    let pos = 0
    for (let i = 0; i < out.length; i++) {
      const end = pos + cols.stringLengths[i]!
      out[i] = joined.slice(pos, end)
      pos = end
    }
    this.strings = out
    this.#frames = new Array(cols.frames.length / 4)
  }

  /** Frame with id `id`, cached. */
  frame(id: number): Frame {
    let f = this.#frames[id]
    if (f === undefined) {
      const q = this.#cols.frames
      f = this.frameOf(q[4 * id]!, q[4 * id + 1]!, q[4 * id + 2]!, q[4 * id + 3]!)
      this.#frames[id] = f
    }
    return f
  }

  /**
   * A frame from its engine fields (string ids). Ids past the table's
   * strings index `extra`: strings that grouping added (package names).
   */
  frameOf(file: number, line: number, col: number, func: number, extra: readonly string[] = []): Frame {
    const str = (id: number) => this.strings[id] ?? extra[id - this.strings.length]!
    return Frame.of(str(file), line, col === 0 ? null : col, func === NONE ? null : str(func))
  }

  /** Frames of sequence `seq`, oldest first. */
  seqFrames(seq: number): Frame[] {
    const ends = this.#cols.seqEnds
    const start = seq === 0 ? 0 : ends[seq - 1]!
    const end = ends[seq]!
    const out: Frame[] = new Array(end - start)
    const ids = this.#cols.seqFrames
    for (let i = start; i < end; i++) out[end - 1 - i] = this.frame(ids[i]!)
    return out
  }

  /** The traceback of a trace, with its totalNframe. */
  traceback(tb: number): Traceback {
    const pair = this.#cols.tracebacks
    const seq = pair[2 * tb]!
    const total = pair[2 * tb + 1]!
    return Traceback.lazy(() => this.seqFrames(seq), total === NONE ? null : total)
  }

  /** Sequence id of traceback `tb`. */
  seqOf(tb: number): number {
    return this.#cols.tracebacks[2 * tb]!
  }

  /** totalNframe of traceback `tb` (NONE when absent). */
  totalOf(tb: number): number {
    return this.#cols.tracebacks[2 * tb + 1]!
  }

  /** The traceback (without totalNframe) of row `row` of an engine key column. */
  keyTraceback(keys: Uint32Array, row: number, extra: readonly string[] = []): Traceback {
    const o = 5 * row
    const kind = keys[o]!
    if (kind === KEY_FRAME) {
      const frame = this.frameOf(keys[o + 1]!, keys[o + 2]!, keys[o + 3]!, keys[o + 4]!, extra)
      return Traceback.lazy(() => [frame], null)
    }
    if (kind === KEY_SEQ) {
      const seq = keys[o + 1]!
      return Traceback.lazy(() => this.seqFrames(seq), null)
    }
    return Traceback.lazy(() => [], null)
  }
}
