/**
 * The generated Node-API binding, loaded once. Everything hand-written goes
 * through this module, so the generated `binding.js` stays apart from the API.
 * @module
 */
import * as binding from '#binding'

export type {
  DiffColumns,
  FilterInput,
  SnapshotColumns,
  StatisticsColumns,
  TablesColumns,
  TraceColumns,
} from '#binding'

/** The engine's snapshot handle. */
export const NativeSnapshot = binding.NativeSnapshot
/** Type of an engine snapshot handle. */
export type NativeSnapshot = binding.NativeSnapshot

/** Marks an absent id (no function name, no totalNframe) in engine columns. */
export const NONE = 0xffffffff
