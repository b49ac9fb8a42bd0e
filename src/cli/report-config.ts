/**
 * What `tracemalloc run` tells the traced program about its report, through
 * the environment (kept apart from `child.ts` so that the parent process
 * does not load the engine).
 * @module
 */
import type { KeyType } from '../snapshot'

/** The environment variable that carries a {@link ReportConfig} as JSON. */
export const REPORT_ENV = 'TRACEMALLOC_REPORT'

/** The report the traced program prints (and writes) as it ends. */
export interface ReportConfig {
  /** Rows in the report. */
  top: number
  /** How rows group traces. */
  keyType: KeyType
  /** Where to write the snapshot (`-o`), if anywhere. */
  output?: string
}
