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
import { mkdirSync, writeSync } from 'node:fs'
import { join } from 'node:path'

import { formatReport } from '../report'
import type { Snapshot } from '../snapshot'
import { atProcessEnd, stop, takeSnapshot } from '../tracemalloc'
import { seriesFileName, type ReportConfig } from './report-config'
import { statisticJson } from './statistics-options'

/** Signals whose default action ends the program. */
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** Writes all of `text` to `fd`, waiting out a full non-blocking pipe. */
function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text)
  let off = 0
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5)
    }
  }
}

/** The numbered files of a `--snapshot-every` series, and the final one. */
class Series {
  #next = 1
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true })
  }
  /** Writes `snap` as the next file of the series; returns its path. */
  write(snap: Snapshot): string {
    const file = join(this.dir, seriesFileName(this.#next++))
    snap.dump(file)
    return file
  }
}

/** The report as JSON (`run --json`): totals, rows, and the files written. */
function jsonReport(snap: Snapshot, rc: ReportConfig, written: string[]): string {
  const stats = snap.statistics(rc.keyType)
  let size = 0
  let count = 0
  for (const s of stats) {
    size += s.size
    count += s.count
  }
  return JSON.stringify({
    captureInfo: snap.captureInfo,
    tracebackLimit: snap.tracebackLimit,
    keyType: rc.keyType,
    total: { size, count, traces: snap.traces.length },
    rowCount: stats.length,
    rows: stats.slice(0, rc.top).map(statisticJson),
    snapshots: written,
  })
}

/** The report and the output: the one step every way out runs. */
function emit(rc: ReportConfig, series: Series | undefined, written: string[]): void {
  const snap = takeSnapshot()
  if (rc.output !== undefined) {
    try {
      let file = rc.output
      if (rc.snapshotEvery === undefined) snap.dump(file)
      else if (series !== undefined) file = series.write(snap)
      else throw new Error('the directory of the series could not be made')
      written.push(file)
      process.stderr.write(`tracemalloc: wrote ${file}\n`)
    } catch (e) {
      process.stderr.write(`tracemalloc: error: -o ${rc.output}: ${(e as Error).message}\n`)
    }
  }
  if (rc.jsonFd !== undefined) writeAll(rc.jsonFd, `${jsonReport(snap, rc, written)}\n`)
  else process.stderr.write(`${formatReport(snap, rc.keyType, rc.top).join('\n')}\n`)
}

/**
 * Starts the `--snapshot-every` series: a snapshot to the next numbered
 * file every `rc.snapshotEvery` seconds, on a timer that does not keep the
 * program alive. Returns a function that stops it.
 */
function startSeries(rc: ReportConfig, series: Series, written: string[]): () => void {
  let warned = false
  const timer = setInterval(() => {
    try {
      written.push(series.write(takeSnapshot()))
    } catch (e) {
      if (!warned) process.stderr.write(`tracemalloc: --snapshot-every: ${(e as Error).message}\n`)
      warned = true
    }
  }, rc.snapshotEvery! * 1000)
  timer.unref()
  return () => clearInterval(timer)
}

/**
 * Arranges for the report of `rc` to be printed once, however the program
 * ends (see the module comment). Call after `start()`.
 */
export function finishReport(rc: ReportConfig): void {
  let done = false
  const written: string[] = []
  let series: Series | undefined
  let stopSeries = () => {}
  if (rc.output !== undefined && rc.snapshotEvery !== undefined) {
    try {
      series = new Series(rc.output)
      stopSeries = startSeries(rc, series, written)
    } catch (e) {
      process.stderr.write(`tracemalloc: --snapshot-every: ${(e as Error).message}\n`)
    }
  }
  const finish = () => {
    if (done) return
    done = true
    stopSeries()
    try {
      emit(rc, series, written)
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
