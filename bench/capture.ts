/**
 * Capture benchmark: overhead and accuracy of each mode on three workloads,
 * every figure against a baseline measured in the same run. Each run is a
 * fresh process (tracing is process-wide); times are medians.
 */
import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'

import { printTable } from './snapshot'

const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const MODES = ['none', 'exact', '1024', '4096', '32768', '524288']
const WORKLOADS = ['churn', 'bigValues', 'app']
const root = resolve(__dirname, '..')

interface Run {
  ms: number
  sites: [string, number][] | null
}

function once(workload: string, mode: string): Run {
  const r = spawnSync(process.execPath, [join(__dirname, 'capture-workload.js'), workload, mode], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  })
  if (r.status !== 0) throw new Error(`${workload} ${mode}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function label(mode: string): string {
  if (mode === 'none') return 'untraced'
  if (mode === 'exact') return 'exact'
  const n = Number(mode)
  return n >= 1024 ? `sampled ${n / 1024} KiB` : `sampled ${n} B`
}

export function runCaptureBench(): void {
  console.log(
    `\nCapture: wall time vs untraced (median of ${RUNS} fresh processes, modes interleaved) and the bytes of the` +
      ' top sites (up to 10, each >= 1% of the total) vs exact mode, |error| averaged over the runs',
  )
  const rows: string[][] = [['workload', 'mode', 'time', 'vs untraced', 'sites', 'median |error| of sites', 'worst site']]
  for (const w of WORKLOADS) {
    const runs = new Map<string, Run[]>(MODES.map((m) => [m, []]))
    runs.get('exact')!.push(once(w, 'exact'))
    // Round-robin, so that machine noise spreads over every mode alike.
    for (let r = 0; r < RUNS; r++) for (const m of MODES) if (m !== 'exact') runs.get(m)!.push(once(w, m))
    const base = median(runs.get('none')!.map((r) => r.ms))
    const exactSites = runs.get('exact')![0]!.sites!
    // The ten largest sites that hold at least 1% of the traced bytes: sampling
    // cannot see a site of a few KiB at a 32 KiB interval, and should not be asked to.
    const total = exactSites.reduce((a, [, size]) => a + size, 0)
    const top = exactSites.filter(([, size]) => size >= total / 100).slice(0, 10)
    for (const m of MODES) {
      const rs = runs.get(m)!
      const ms = median(rs.map((r) => r.ms))
      let accuracy = '-'
      let worst = '-'
      if (m !== 'none' && m !== 'exact') {
        // Error of each top site, averaged over the runs of this mode.
        const errs = top.map(([key, exact]) => {
          const per = rs.map((r) => (r.sites!.find(([k]) => k === key)?.[1] ?? 0) / exact - 1)
          return per.reduce((a, e) => a + Math.abs(e), 0) / per.length
        })
        accuracy = `${(median(errs) * 100).toFixed(1)}%`
        const i = errs.indexOf(Math.max(...errs))
        worst = `${(errs[i]! * 100).toFixed(1)}% (${top[i]![0].replace(root, '.')}, ${(top[i]![1] / 1048576).toFixed(1)} MiB)`
      } else if (m === 'exact') {
        accuracy = 'reference'
      }
      const sites = m === 'none' ? '-' : String(top.length)
      rows.push([w, label(m), `${ms.toFixed(0)} ms`, `${(ms / base).toFixed(2)}x`, sites, accuracy, worst])
    }
  }
  printTable(rows)
  const py = spawnSync('python3', [join(__dirname, 'cpython_overhead.py'), String(RUNS)], { encoding: 'utf8' })
  if (py.status === 0) {
    const p = JSON.parse(py.stdout)
    console.log(
      `\nCPython ${p.python} tracemalloc on the same churn loop: untraced ${(p['0'] * 1000).toFixed(0)} ms, ` +
        `nframe=1 ${(p['1'] / p['0']).toFixed(2)}x, nframe=10 ${(p['10'] / p['0']).toFixed(2)}x (exact, every allocation)`,
    )
  } else {
    console.log(`\nCPython comparison skipped: ${py.stderr || 'python3 not found'}`)
  }
}
