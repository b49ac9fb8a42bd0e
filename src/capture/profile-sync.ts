/**
 * Applies a V8 sampling heap profile to the process-wide trace store: each
 * live sample becomes a trace keyed by its ordinal, with the object's size,
 * its weight (V8's scale), and the allocating stack. Used both by the sync
 * worker and, as a fallback, on the thread being traced.
 * @module
 */
import { storeEpoch, storeIntern, storeSyncDomain } from '../native'

import { TableBuilder } from '../columns'
import { frameOfCallFrame, type CallFrame } from './callframe'
import { mapPosition, sourceMapsEnabled } from '../sourcemaps'
import { BuiltinFolder, HELD, isBuiltinCallFrame, UNKNOWN_FILE } from './fold'
import { isNodeInternal, isOwn } from './own'
import { unscale } from './unscale'

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

/** What one sync did. */
export interface SyncResult {
  samples: number
  added: number
  removed: number
}

/** Highest totalNframe, as in CPython. */
const MAX_TOTAL_NFRAME = 65535

/** Marks a node whose stack runs through tracemalloc itself. */
const OWN = -1

/** Turns sampling profiles of one domain into store traces, caching tracebacks by node id. */
export class ProfileSync {
  readonly #domain: number
  readonly #nframe: number
  readonly #interval: number
  readonly #rawFrames: boolean
  readonly #tracebackOfNode = new Map<number, number>()
  /** The store's table epoch that the cached traceback ids belong to. */
  #epoch = -1

  /** `rawFrames` keeps builtin frames as V8 reports them instead of folding them into their callers (see ./fold). */
  constructor(domain: number, nframe: number, interval: number, rawFrames = false) {
    this.#domain = domain
    this.#nframe = nframe
    this.#interval = interval
    this.#rawFrames = rawFrames
  }

  /** Forgets cached tracebacks (after the profiler restarts, node ids start over). */
  reset(): void {
    this.#tracebackOfNode.clear()
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
    this.#internMissing(profile.head, profile.samples, sourceMaps)
    const samples = profile.samples.filter((s) => this.#tracebackOfNode.get(s.nodeId) !== OWN)
    const n = samples.length
    const address = new Float64Array(n)
    const size = new Float64Array(n)
    const traceback = new Uint32Array(n)
    const weight = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const s = samples[i]!
      const [objectSize, count] = unscale(s.size, this.#interval)
      address[i] = s.ordinal
      size[i] = objectSize
      weight[i] = count
      traceback[i] = this.#tracebackOfNode.get(s.nodeId)!
    }
    const r = storeSyncDomain(this.#domain, address, size, traceback, weight, epoch)
    return r === null ? null : { samples: n, added: r[0]!, removed: r[1]! }
  }

  /** Interns the stacks of sampled nodes not seen before, in one batch. */
  #internMissing(head: ProfileNode, samples: SamplingProfile['samples'], sourceMaps: boolean): void {
    const wanted = new Set<number>()
    for (const s of samples) if (!this.#tracebackOfNode.has(s.nodeId)) wanted.add(s.nodeId)
    if (wanted.size === 0) return
    // Walk the tree without recursion, remembering each node's parent.
    const parent = new Map<number, ProfileNode | null>()
    const byId = new Map<number, ProfileNode>()
    const stack: ProfileNode[] = [head]
    parent.set(head.id, null)
    while (stack.length > 0) {
      const node = stack.pop()!
      byId.set(node.id, node)
      for (const child of node.children) {
        parent.set(child.id, node)
        stack.push(child)
      }
    }
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
