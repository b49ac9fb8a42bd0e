/**
 * The generated Node-API binding. Every hand-written module reaches it
 * through this one, so the generated `binding.js` stays apart from the API.
 * It is imported by a relative path (not the `#binding` import map) so the
 * published typings resolve under every `moduleResolution`, node10 included;
 * `scripts/dist-binding.mjs` forwards `dist/binding` to the root files.
 * @module
 */
export {
  exactTrackers,
  exportSnapshot,
  exportSnapshotAsync,
  HeapSnapshotReader,
  importHeapProfile,
  importHeapProfileAsync,
  importHeapSnapshot,
  importHeapSnapshotAsync,
  isNodeInternalFile,
  LoadedSnapshot,
  MAX_TOTAL_NFRAME,
  NativeSnapshot,
  ProfileSync,
  removePrivateHeapFiles,
  scriptPathOf,
  snapshotDump,
  snapshotDumpAsync,
  snapshotFromBuffer,
  snapshotLoad,
  snapshotLoadAsync,
  snapshotToBuffer,
  storeClear,
  storeClearDomain,
  storeEpoch,
  storeIntern,
  storeMemory,
  storeRaisePeak,
  storeResetPeak,
  storeSnapshot,
  storeSyncDomain,
  storeTrack,
  storeTracedMemory,
  storeUntrack,
} from '../binding'

export type {
  DiffColumns,
  ImportedFile,
  ExportOptionsInput,
  FilterInput,
  SnapshotColumns,
  StatisticsColumns,
  TablesColumns,
  TraceColumns,
} from '../binding'

/** Marks an absent id (no function name, no totalNframe) in engine columns. */
export const NONE = 0xffffffff
