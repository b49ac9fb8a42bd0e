/**
 * Applies a V8 sampling heap profile to the process-wide trace store: each
 * live sample becomes a trace keyed by its ordinal, with the object's size,
 * its weight (the objects it stands for), and the allocating stack. Used
 * both by the sync worker and, as a fallback, on the thread being traced.
 *
 * This side flattens the profile tree into columns and maps positions
 * through source maps (which need Node's `findSourceMap`); the engine's
 * `ProfileSync` applies the capture rules that exact mode applies too
 * (file names, builtin folding, the `<unknown>` frame, the depth cap,
 * tracemalloc's own allocations: `crates/tracemalloc-core/src/calltree.rs`)
 * and sizes the samples: each node's bytes add up to V8's per-node
 * `selfSize` (unbiased at every object size, as `node --heap-prof` reads),
 * and object sizes are solved from those totals where they can be (see
 * `crates/tracemalloc-core/src/sampling.rs` and docs/capture-accuracy.md).
 * @module
 */
import { NONE, ProfileSync as NativeProfileSync, scriptPathOf } from '../native'

import { TableBuilder } from '../columns'
import { mapPosition, sourceMapsEnabled } from '../sourcemaps'

/** A call frame of the inspector protocol (`Runtime.CallFrame`). */
export interface CallFrame {
  functionName: string
  scriptId: string
  url: string
  /** 0-based; -1 when unknown. */
  lineNumber: number
  /** 0-based; -1 when unknown. */
  columnNumber: number
}

/** A node of the protocol's sampling profile tree. */
export interface ProfileNode {
  callFrame: CallFrame
  id: number
  selfSize: number
  children: ProfileNode[]
}

/** The protocol's `SamplingHeapProfile`. */
export interface SamplingProfile {
  head: ProfileNode
  samples: { size: number; nodeId: number; ordinal: number }[]
}

/** Bytes of the synced samples by how their object size was found (see the engine's `ProfileSyncResult.bytesByBasis`). */
export interface SizeBasis {
  solved: number
  borrowed: number
  guessed: number
  foreign: number
}

/** What one sync did. */
export interface SyncResult {
  samples: number
  added: number
  removed: number
  /** Sampled mode: how the object sizes of the synced bytes were found. */
  sizes?: SizeBasis
}

/**
 * V8 object sizes are multiples of the tagged size, and at least two of
 * them (a map and one field): 8 and 16 bytes, or 4 and 8 with pointer compression.
 */
function objectLayout(): { align: number; minSize: number } {
  const compressed = Boolean((process.config.variables as Record<string, unknown>).v8_enable_pointer_compression)
  return compressed ? { align: 4, minSize: 8 } : { align: 8, minSize: 16 }
}

/** Where a source map puts a node's function: `[file, line, column]`, 1-based, or null. */
type Mapped = [string, number, number] | null

/** Turns sampling profiles of one domain into store traces. */
export class ProfileSync {
  readonly #native: NativeProfileSync
  /** Source-mapped position of each node seen (node ids are stable while the profiler runs). */
  readonly #mappedOfNode = new Map<number, Mapped>()

  /**
   * `rawFrames` keeps builtin frames as V8 reports them instead of folding
   * them into their callers; stacks under `ownPrefixes` (see ./own's
   * `ownPrefixes()`, decided on the traced thread) are tracemalloc's own.
   */
  constructor(domain: number, nframe: number, interval: number, rawFrames: boolean, ownPrefixes: readonly string[]) {
    const { align, minSize } = objectLayout()
    this.#native = new NativeProfileSync(domain, nframe, rawFrames, [...ownPrefixes], interval, align, minSize)
  }

  /** Forgets cached tracebacks, positions and sizes (after the profiler restarts, node ids start over). */
  reset(): void {
    this.#mappedOfNode.clear()
    this.#native.reset()
  }

  /**
   * Makes the store's domain hold exactly the profile's live samples.
   * `sourceMaps` maps frames to their original sources (see
   * ../sourcemaps); by default, when this thread has source maps on.
   */
  apply(profile: SamplingProfile, sourceMaps: boolean = sourceMapsEnabled()): SyncResult {
    const r = this.#native.apply(this.#columns(profile, sourceMaps))
    const [solved, borrowed, guessed, foreign] = r.bytesByBasis
    return { samples: r.samples, added: r.added, removed: r.removed, sizes: { solved: solved!, borrowed: borrowed!, guessed: guessed!, foreign: foreign! } }
  }

  /** The profile as the engine's columns: nodes in an order where parents come first. */
  #columns(profile: SamplingProfile, sourceMaps: boolean) {
    const table = new TableBuilder()
    const str = (s: string): number => table.str(s)
    const count = countNodes(profile.head)
    const nodeId = new Uint32Array(count)
    const nodeParent = new Uint32Array(count)
    const nodeSelfSize = new Float64Array(count)
    const nodeScriptId = new Uint32Array(count)
    const nodeUrl = new Uint32Array(count)
    const nodeLine = new Int32Array(count)
    const nodeColumn = new Int32Array(count)
    const nodeFunction = new Uint32Array(count)
    const mappedFile = new Uint32Array(count).fill(NONE)
    const mappedLine = new Uint32Array(count)
    const mappedColumn = new Uint32Array(count)
    // Walk the tree without recursion: a node gets its index when popped, so its parent's comes first.
    const stack: [ProfileNode, number][] = [[profile.head, NONE]]
    let k = 0
    while (stack.length > 0) {
      const [node, parent] = stack.pop()!
      const cf = node.callFrame
      nodeId[k] = node.id
      nodeParent[k] = parent
      nodeSelfSize[k] = node.selfSize
      nodeScriptId[k] = Number(cf.scriptId) >>> 0
      nodeUrl[k] = str(cf.url)
      nodeLine[k] = cf.lineNumber
      nodeColumn[k] = cf.columnNumber
      nodeFunction[k] = str(cf.functionName)
      if (sourceMaps && parent !== NONE) {
        const m = this.#mapped(node)
        if (m !== null) {
          mappedFile[k] = str(m[0])
          mappedLine[k] = m[1]
          mappedColumn[k] = m[2]
        }
      }
      for (const child of node.children) stack.push([child, k])
      k++
    }
    const n = profile.samples.length
    const sampleNode = new Uint32Array(n)
    const sampleSize = new Float64Array(n)
    const sampleOrdinal = new Float64Array(n)
    profile.samples.forEach((s, i) => {
      sampleNode[i] = s.nodeId
      sampleSize[i] = s.size
      sampleOrdinal[i] = s.ordinal
    })
    return {
      strings: table.strings.join(''),
      stringLengths: Uint32Array.from(table.strings, (s) => s.length),
      nodeId,
      nodeParent,
      nodeSelfSize,
      nodeScriptId,
      nodeUrl,
      nodeLine,
      nodeColumn,
      nodeFunction,
      mappedFile,
      mappedLine,
      mappedColumn,
      sampleNode,
      sampleSize,
      sampleOrdinal,
    }
  }

  /** The source-mapped position of a node's function, once per node. */
  #mapped(node: ProfileNode): Mapped {
    let m = this.#mappedOfNode.get(node.id)
    if (m === undefined) {
      const cf = node.callFrame
      m = cf.url === '' || cf.lineNumber < 0 ? null : mapPosition(scriptPathOf(cf.url), cf.lineNumber + 1, cf.columnNumber + 1)
      this.#mappedOfNode.set(node.id, m)
    }
    return m
  }
}

/** The number of nodes of a profile tree (without recursion). */
function countNodes(head: ProfileNode): number {
  let n = 0
  const stack = [head]
  while (stack.length > 0) {
    const node = stack.pop()!
    n++
    for (const child of node.children) stack.push(child)
  }
  return n
}
