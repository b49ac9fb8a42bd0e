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
  /** Where to write the snapshot (`-o`), if anywhere: a file, or with {@link snapshotEvery} a directory. */
  output?: string
  /** Seconds between the snapshots of a series written to the directory {@link output}. */
  snapshotEvery?: number
  /** The file descriptor to write the report to as JSON (`run --json`), instead of text on stderr. */
  jsonFd?: number
}

/** The file name of snapshot `n` (from 1) of a `--snapshot-every` series. */
export function seriesFileName(n: number): string {
  return `snapshot-${String(n).padStart(4, '0')}.tmsnap`
}
