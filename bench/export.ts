/**
 * Export benchmark: the snapshot bench's 1.4M traces (3,000 files, 60,000
 * frames, 50,000 tracebacks) written in every export format. For each: the
 * time, the file size, and the time of a plain `writeFileSync` of as many
 * bytes in the same run (the I/O floor, fsync included as the export does
 * it), as a ratio. The flame graph's size
 * is the figure to watch: it must stay small however many traces there are.
 * Not part of the test suite.
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { EXPORT_FORMATS, Snapshot, type ExportFormat, type ExportOptions } from '../index'
import { printTable, rng, tables, traces } from './snapshot'

const TRACES = Number(process.env.BENCH_TRACES ?? 1_400_000)
const LIMIT = 10

/** Wall seconds, process CPU seconds (user + system; telling on a loaded machine) and the result. */
function seconds<T>(fn: () => T): [number, T, number] {
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const r = fn()
  const c = process.cpuUsage(c0)
  return [Number(process.hrtime.bigint() - t0) / 1e9, r, (c.user + c.system) / 1e6]
}

const mib = (b: number) => `${(b / 1048576).toFixed(2)} MiB`

export async function runExportBench(): Promise<void> {
  const t = tables(rng(1))
  const snap = Snapshot.fromColumns(traces(t, TRACES, 2), LIMIT)
  const old = Snapshot.fromColumns(traces(t, Math.round(TRACES * 0.85), 3), LIMIT)
  const dir = mkdtempSync(join(tmpdir(), 'tracemalloc-export-bench-'))
  try {
    console.log(`\nExports: ${TRACES} traces, 3000 files, 60000 frames, 50000 tracebacks 1-10 deep`)
    const runs: [string, ExportFormat, ExportOptions][] = EXPORT_FORMATS.map((f) => [f, f, {}])
    runs.push(['flamegraph, differential (base: 85% as many traces)', 'flamegraph', { base: old }])
    runs.push(['flamegraph, minFraction 0 (nothing pruned)', 'flamegraph', { minFraction: 0 }])
    const rows: string[][] = [['format', 'time', 'CPU', 'file', 'bytes/trace', 'plain write+fsync of as many bytes', 'vs plain write']]
    for (const [name, format, options] of runs) {
      const file = join(dir, `out.${format}`)
      const [secs, bytes, cpu] = seconds(() => snap.export(file, format, options))
      if (bytes !== statSync(file).size) throw new Error(`${name}: export returned ${bytes}, the file has ${statSync(file).size}`)
      // The I/O floor: the same bytes, written by Node in one call and synced.
      const content = readFileSync(file)
      const [plain] = seconds(() => {
        const fd = openSync(join(dir, 'plain'), 'w')
        writeSync(fd, content)
        fsyncSync(fd)
        closeSync(fd)
      })
      rows.push([name, `${(secs * 1000).toFixed(0)} ms`, `${(cpu * 1000).toFixed(0)} ms`, mib(bytes), (bytes / TRACES).toFixed(2), `${(plain * 1000).toFixed(0)} ms`, `${(secs / plain).toFixed(1)}x`])
      rmSync(file)
    }
    let ticks = 0
    const timer = setInterval(() => ticks++, 1)
    const t0 = process.hrtime.bigint()
    const pending = snap.exportAsync(join(dir, 'async.pprof'), 'pprof')
    const returned = Number(process.hrtime.bigint() - t0) / 1e9
    await pending
    const wall = Number(process.hrtime.bigint() - t0) / 1e9
    clearInterval(timer)
    printTable(rows)
    console.log(
      `\nexportAsync('pprof'): ${(wall * 1000).toFixed(0)} ms, during which the event loop ran ${ticks} 1-ms timers ` +
        `(the call itself returned in ${(returned * 1000).toFixed(1)} ms)`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
