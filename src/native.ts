/**
 * The generated Node-API binding. Every hand-written module reaches it
 * through this one, so the generated `binding.js` stays apart from the API.
 * @module
 */
export {
  exactTrackers,
  HeapSnapshotReader,
  NativeSnapshot,
  SampleSizer,
  storeClear,
  storeClearDomain,
  storeIntern,
  storeMemory,
  storeRaisePeak,
  storeResetPeak,
  storeSnapshot,
  storeSyncDomain,
  storeTrack,
  storeTracedMemory,
  storeUntrack,
} from '#binding'

export type {
  DiffColumns,
  FilterInput,
  SnapshotColumns,
  StatisticsColumns,
  TablesColumns,
  TraceColumns,
} from '#binding'

/** Marks an absent id (no function name, no totalNframe) in engine columns. */
export const NONE = 0xffffffff
