/**
 * `tracemalloc run`, the traced program's side: the report (and, with `-o`,
 * the snapshot file) is made by one function, {@link finishReport}'s
 * closure, run once on whichever way the program ends:
 *
 * - it exits (its loop ran dry, `process.exit()`, an uncaught exception):
 *   at the `exit` event; in exact mode just before tracking ends;
 * - a signal that would kill it (SIGINT, SIGTERM, SIGHUP) arrives and the
 *   program has no listener of its own: the report is made, then the
 *   signal is raised again with its default action, so the program still
 *   dies by it (and `tracemalloc run` passes that on). A program that
 *   listens for the signal decides for itself, and reports when it exits.
 * @module
 */
import { formatReport } from '../report'
import type { Snapshot } from '../snapshot'
import { atProcessEnd, stop, takeSnapshot } from '../tracemalloc'
import type { ReportConfig } from './report-config'

/** Signals whose default action ends the program. */
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** Writes `snap` to `file` (`-o`), with the snapshot file format's `dump`. */
function writeSnapshotFile(snap: Snapshot, file: string): void {
  const dump = (snap as unknown as { dump?: (file: string) => void }).dump
  if (typeof dump !== 'function') throw new Error(`-o ${file}: the snapshot file format is not implemented yet`)
  dump.call(snap, file)
}

/** The report and the output: the one step every way out runs. */
function emit(rc: ReportConfig): void {
  const snap = takeSnapshot()
  process.stderr.write(`${formatReport(snap, rc.keyType, rc.top).join('\n')}\n`)
  if (rc.output !== undefined) writeSnapshotFile(snap, rc.output)
}

/**
 * Arranges for the report of `rc` to be printed once, however the program
 * ends (see the module comment). Call after `start()`.
 */
export function finishReport(rc: ReportConfig): void {
  let done = false
  const finish = () => {
    if (done) return
    done = true
    try {
      emit(rc)
    } catch (e) {
      process.stderr.write(`tracemalloc: no report: ${(e as Error).message}\n`)
    }
  }
  atProcessEnd(finish)
  const onSignal = (sig: NodeJS.Signals) => {
    // Another listener is the program's: it handles the signal, and the
    // report comes when it exits.
    if (process.listenerCount(sig) > 1) return
    finish()
    // Tracing ends before the program does, so that no inspector session
    // of ours is left for Node to wait for.
    stop()
    for (const s of ENDING_SIGNALS) process.removeListener(s, onSignal)
    process.kill(process.pid, sig)
  }
  for (const s of ENDING_SIGNALS) process.on(s, onSignal)
}
