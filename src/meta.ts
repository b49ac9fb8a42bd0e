/**
 * A snapshot's metadata as files carry it: the JSON object that the engine's
 * formats store (`tracemalloc-formats`' `Meta`), and its mapping to
 * {@link CaptureInfo} and {@link Snapshot.tracebackLimit}.
 * @module
 */
import type { NativeSnapshot } from './native'
import { Snapshot, type CaptureInfo, type CaptureQuality } from './snapshot'

/**
 * Metadata stored with a snapshot in files. Keys written by later versions
 * are kept as they were read.
 */
export interface SnapshotMeta {
  /** Most frames per traceback when the snapshot was taken. */
  tracebackLimit: number
  /** Capture mode; absent for snapshots built from data. */
  mode?: 'sampled' | 'exact'
  /** Mean bytes between samples, in sampled mode, when known. */
  samplingInterval?: number
  /** `process.version` of the traced process. */
  nodeVersion?: string
  /** Process id of the traced process. */
  pid?: number
  /** When the snapshot was taken, in ms since the epoch. */
  time?: number
  /** The format the traces were first read from (`heapprofile`, `heapsnapshot`); absent for a live capture. */
  origin?: string
  /** What the capture measured about its own accuracy ({@link CaptureQuality}). */
  quality?: CaptureQuality
  [key: string]: unknown
}

/** The metadata of `snapshot`, as a file would store it. */
export function metaOf(snapshot: Snapshot): SnapshotMeta {
  const meta: SnapshotMeta = { ...snapshot.extraMeta, tracebackLimit: snapshot.tracebackLimit }
  const info = snapshot.captureInfo
  if (info !== null) {
    meta.mode = info.mode
    if (info.samplingInterval !== null) meta.samplingInterval = info.samplingInterval
    if (info.nodeVersion !== null) meta.nodeVersion = info.nodeVersion
    if (info.pid !== null) meta.pid = info.pid
    if (info.time !== null) meta.time = info.time
    if (info.origin !== null) meta.origin = info.origin
    if (info.quality) meta.quality = info.quality
  }
  return meta
}

/** The metadata of `snapshot` as the JSON text the engine's formats take. */
export function metaJson(snapshot: Snapshot): string {
  return JSON.stringify(metaOf(snapshot))
}

const KNOWN = new Set(['tracebackLimit', 'mode', 'samplingInterval', 'nodeVersion', 'pid', 'time', 'origin', 'quality'])

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0

/**
 * The `quality` of a file's metadata, or undefined when it is absent or not
 * of the expected shape (a file is untrusted: the figures are shown in reports).
 */
function qualityOf(v: unknown): CaptureQuality | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined
  const q = v as Record<string, unknown>
  const out: CaptureQuality = {}
  const b = q.sizeBasis as Record<string, unknown> | undefined
  if (b !== null && typeof b === 'object' && isCount(b.solved) && isCount(b.borrowed) && isCount(b.guessed) && isCount(b.foreign)) {
    out.sizeBasis = { solved: b.solved, borrowed: b.borrowed, guessed: b.guessed, foreign: b.foreign }
  }
  if (isCount(q.trackerLost)) out.trackerLost = q.trackerLost
  return Object.keys(out).length > 0 ? out : undefined
}

/**
 * Wraps an engine snapshot read from a file, with the metadata JSON the
 * engine returned alongside it (already validated by the engine).
 */
export function snapshotFromFile(native: NativeSnapshot, json: string): Snapshot {
  const meta = JSON.parse(json) as SnapshotMeta
  const info: CaptureInfo | null =
    meta.mode === undefined
      ? null
      : {
          mode: meta.mode,
          samplingInterval: meta.samplingInterval ?? null,
          nodeVersion: meta.nodeVersion ?? null,
          pid: meta.pid ?? null,
          time: meta.time ?? null,
          origin: meta.origin ?? null,
        }
  const quality = qualityOf(meta.quality)
  if (info !== null && quality !== undefined) info.quality = quality
  const extra: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(meta)) if (!KNOWN.has(k)) extra[k] = v
  return Snapshot.wrap(native, meta.tracebackLimit, undefined, info, extra)
}
