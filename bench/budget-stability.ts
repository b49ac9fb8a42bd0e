/**
 * `npm run bench -- stability`: how steady a memory budget's figures are.
 * The same budgeted test runs in BENCH_RUNS (default 10) fresh processes per
 * capture mode (sampled at several intervals, and exact), modes interleaved;
 * the table gives each figure's median, its spread (max - min over the
 * median), its coefficient of variation, and its error against the truth
 * where the workload's bytes are known by construction. The default mode
 * for tests (src/testing/config.ts) is chosen from this table.
 */
import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'

import { printTable } from './snapshot'

const RUNS = Number(process.env.BENCH_RUNS ?? 10)
const MODES = ['512', '1024', '4096', '32768', 'exact']
const root = resolve(__dirname, '..')

/** Bytes known by construction (see budget-workload.js). */
const TRUTH: Record<string, Record<string, number>> = {
  arrays: { allocated: 2200 * 8048, retained: 200 * 8048 },
  leak: { leakPerRun: 560 },
}
const WORKLOADS: Record<string, string[]> = {
  arrays: ['allocated', 'peak', 'retained'],
  records: ['allocated', 'peak', 'retained'],
  leak: ['leakPerRun'],
}

type Run = Record<string, number>

function once(workload: string, mode: string): Run {
  const r = spawnSync(process.execPath, [join(__dirname, 'budget-workload.js'), workload, mode], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`${workload} ${mode}: ${r.stderr}`)
  return JSON.parse(r.stdout) as Run
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

function cv(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1))
  return mean === 0 ? 0 : sd / Math.abs(mean)
}

function label(mode: string): string {
  return mode === 'exact' ? 'exact' : `sampled ${Number(mode) >= 1024 ? `${Number(mode) / 1024} KiB` : `${mode} B`}`
}

function bytes(n: number): string {
  return Math.abs(n) >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : Math.abs(n) >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${Math.round(n)} B`
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`

export function runStabilityBench(): void {
  console.log(`\nBudget stability: the same budgeted test in ${RUNS} fresh processes per mode (modes interleaved), Node ${process.version}`)
  const rows: string[][] = [['workload', 'mode', 'figure', 'median', 'spread (max-min)/median', 'CV', 'median error vs truth', 'time per check']]
  for (const [workload, figures] of Object.entries(WORKLOADS)) {
    const runs = new Map<string, Run[]>(MODES.map((m) => [m, []]))
    for (let i = 0; i < RUNS; i++) for (const mode of MODES) runs.get(mode)!.push(once(workload, mode))
    for (const mode of MODES) {
      const rs = runs.get(mode)!
      for (const f of figures) {
        const xs = rs.map((r) => r[f]!)
        const med = median(xs)
        const truth = TRUTH[workload]?.[f]
        const spread = med === 0 ? 0 : (Math.max(...xs) - Math.min(...xs)) / Math.abs(med)
        rows.push([
          workload,
          label(mode),
          f,
          bytes(med),
          pct(spread),
          pct(cv(xs)),
          truth === undefined ? '-' : `${med >= truth ? '+' : ''}${pct((med - truth) / truth)}`,
          `${Math.round(median(rs.map((r) => r.ms!)))} ms`,
        ])
      }
    }
  }
  printTable(rows)
}
