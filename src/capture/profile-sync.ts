/**
 * Applies a V8 sampling heap profile to the process-wide trace store: each
 * live sample becomes a trace keyed by its ordinal, with the object's size,
 * its weight (the objects it stands for), and the allocating stack. Used
 * both by the sync worker and, as a fallback, on the thread being traced.
 *
 * Sizes and weights come from the engine's `SampleSizer`: each node's bytes
 * add up to V8's per-node `selfSize` (unbiased at every object size, as
 * `node --heap-prof` reads), and object sizes are solved from those totals
 * where they can be (see `crates/tracemalloc-core/src/sampling.rs` and
 * docs/capture-accuracy.md).
 * @module
 */
import { MAX_TOTAL_NFRAME, SampleSizer, storeEpoch, storeIntern, storeSyncDomain } from '../native'

import { TableBuilder } from '../columns'
import { frameOfCallFrame, type CallFrame } from './callframe'
import { mapPosition, sourceMapsEnabled } from '../sourcemaps'
import { BuiltinFolder, HELD, isBuiltinCallFrame, UNKNOWN_FILE } from './fold'
import { isNodeInternal, isOwn } from './own'

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

/** Bytes of the synced samples by how their object size was found (see `SizedSamples.bytesByBasis`). */
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

/** Marks a node whose stack runs through tracemalloc itself. */
const OWN = -1

/** Turns sampling profiles of one domain into store traces, caching tracebacks by node id. */
export class ProfileSync {
  readonly #domain: number
  readonly #nframe: number
  readonly #rawFrames: boolean
  readonly #tracebackOfNode = new Map<number, number>()
  readonly #sizer: SampleSizer
  /** The store's table epoch that the cached traceback ids belong to. */
  #epoch = -1

  /** `rawFrames` keeps builtin frames as V8 reports them instead of folding them into their callers (see ./fold). */
  constructor(domain: number, nframe: number, interval: number, rawFrames = false) {
    this.#domain = domain
    this.#nframe = nframe
    this.#rawFrames = rawFrames
    const { align, minSize } = objectLayout()
    this.#sizer = new SampleSizer(interval, align, minSize)
  }

  /** Forgets cached tracebacks and sizes (after the profiler restarts, node ids start over). */
  reset(): void {
    this.#tracebackOfNode.clear()
    this.#sizer.reset()
  }

  /**
   * Makes the store's domain hold exactly the profile's live samples. The
   * cached traceback ids die with the store's tables (another thread's
   * `clearTraces()` drops them): then they are interned again.
   * `sourceMaps` maps new frames to their original sources (see
   * ../sourcemaps); by default, when this thread has source maps on.
   */
  apply(profile: SamplingProfile, sourceMaps: boolean = sourceMapsEnabled()): SyncResult {
    for (;;) {
      const epoch = storeEpoch()
      if (epoch !== this.#epoch) {
        this.#tracebackOfNode.clear()
        this.#epoch = epoch
      }
      const done = this.#applyIn(epoch, profile, sourceMaps)
      if (done !== null) return done
    }
  }

  #applyIn(epoch: number, profile: SamplingProfile, sourceMaps: boolean): SyncResult | null {
    // Walk the tree without recursion, remembering each node's parent and selfSize.
    const parent = new Map<number, ProfileNode | null>()
    const byId = new Map<number, ProfileNode>()
    const stack: ProfileNode[] = [profile.head]
    parent.set(profile.head.id, null)
    while (stack.length > 0) {
      const node = stack.pop()!
      byId.set(node.id, node)
      for (const child of node.children) {
        parent.set(child.id, node)
        stack.push(child)
      }
    }
    this.#internMissing(profile.head, profile.samples, byId, parent, sourceMaps)
    // Samples of our own code are left out, and so are the rare samples of a
    // node that V8 added while it was building the tree.
    const samples = profile.samples.filter((s) => {
      const tb = this.#tracebackOfNode.get(s.nodeId)
      return tb !== undefined && tb !== OWN
    })
    const nodeIds = new Uint32Array(byId.size)
    const nodeSelf = new Float64Array(byId.size)
    let k = 0
    for (const node of byId.values()) {
      nodeIds[k] = node.id
      nodeSelf[k++] = node.selfSize
    }
    const n = samples.length
    const address = new Float64Array(n)
    const reported = new Float64Array(n)
    const sampleNode = new Uint32Array(n)
    const traceback = new Uint32Array(n)
    for (let i = 0; i < n; i++) {
      const s = samples[i]!
      address[i] = s.ordinal
      reported[i] = s.size
      sampleNode[i] = s.nodeId
      traceback[i] = this.#tracebackOfNode.get(s.nodeId)!
    }
    const sized = this.#sizer.estimate(nodeIds, nodeSelf, sampleNode, reported, address)
    const r = storeSyncDomain(this.#domain, address, sized.size, traceback, sized.weight, epoch)
    if (r === null) return null
    const [added, removed] = r
    const [solved, borrowed, guessed, foreign] = sized.bytesByBasis
    return { samples: n, added: added!, removed: removed!, sizes: { solved: solved!, borrowed: borrowed!, guessed: guessed!, foreign: foreign! } }
  }

  /** Interns the stacks of sampled nodes not seen before, in one batch. */
  #internMissing(
    head: ProfileNode,
    samples: SamplingProfile['samples'],
    byId: Map<number, ProfileNode>,
    parent: Map<number, ProfileNode | null>,
    sourceMaps: boolean,
  ): void {
    const wanted = new Set<number>()
    for (const s of samples) if (!this.#tracebackOfNode.has(s.nodeId) && byId.has(s.nodeId)) wanted.add(s.nodeId)
    if (wanted.size === 0) return
    const b = new TableBuilder()
    const ids: number[] = []
    const order: number[] = []
    const pairs: number[] = []
    for (const nodeId of wanted) {
      ids.length = 0
      let depth = 0
      let own = false
      let decided = false
      const folder = this.#rawFrames ? null : new BuiltinFolder()
      for (let node = byId.get(nodeId); node !== undefined && node !== head; node = parent.get(node.id) ?? undefined) {
        let [file, line, column, func] = frameOfCallFrame(node.callFrame)
        if (!decided && !isNodeInternal(file)) {
          decided = true
          own = isOwn(file)
        }
        if (sourceMaps) [file, line, column] = mapPosition(file, line, column) ?? [file, line, column]
        depth++
        const name = folder === null ? func : folder.push(isBuiltinCallFrame(node.callFrame), func)
        if (name !== HELD && ids.length < this.#nframe) ids.push(b.frame(file, line, column, name))
      }
      if (folder !== null) {
        const rest = folder.finish()
        for (const name of rest.held) if (ids.length < this.#nframe) ids.push(b.frame(UNKNOWN_FILE, 0, 0, name))
        depth = rest.depth
      }
      if (own) {
        this.#tracebackOfNode.set(nodeId, OWN)
        continue
      }
      // A sample without a JavaScript frame gets CPython's "<unknown>":0 frame.
      if (depth === 0) {
        ids.push(b.frame('<unknown>', 0, 0, null))
        depth = 1
      }
      order.push(nodeId)
      pairs.push(b.seq(ids), Math.min(depth, MAX_TOTAL_NFRAME))
    }
    const tbIds = storeIntern(b.tables(pairs))
    order.forEach((nodeId, i) => this.#tracebackOfNode.set(nodeId, tbIds[i]!))
  }
}
