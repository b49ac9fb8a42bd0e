/**
 * Stall benchmark: how long syncs block the main thread when a traced
 * worker is idle or busy in synchronous code, against an untraced main
 * thread with the same busy worker, measured in the same run. Each
 * configuration runs in fresh processes; figures are medians over runs of
 * each run's median and longest stall.
 */
import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'

import { printTable } from './snapshot'

const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const CONFIGS: [string, string][] = [
  ['untraced', 'untraced main thread, busy worker (baseline: event-loop delay only)'],
  ['no-worker', 'traced, no worker'],
  ['idle-worker', 'traced, idle traced worker'],
  ['busy-worker', 'traced, busy traced worker'],
]
const root = resolve(__dirname, '..')

interface StallRun {
  syncs: number[]
  loopMax: number
  loopP50: number
}

function once(config: string): StallRun {
  const r = spawnSync(process.execPath, [join(__dirname, 'stall-workload.js'), config], { cwd: root, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${config}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!
}
const ms = (x: number): string => (Number.isNaN(x) ? '-' : `${x.toFixed(1)} ms`)

export function runStallBench(): void {
  console.log(
    `\nStalls: main-thread time blocked per sync (takeSnapshot every 150 ms) and event-loop delay, ` +
      `median over ${RUNS} fresh processes per configuration (configurations interleaved)`,
  )
  const runs = new Map<string, StallRun[]>(CONFIGS.map(([c]) => [c, []]))
  for (let r = 0; r < RUNS; r++) for (const [c] of CONFIGS) runs.get(c)!.push(once(c))
  const base = median(runs.get('untraced')!.map((r) => r.loopMax))
  const rows: string[][] = [['configuration', 'median sync', 'longest sync', 'event-loop delay p50', 'event-loop delay max', 'max vs baseline']]
  for (const [c, label] of CONFIGS) {
    const rs = runs.get(c)!
    const loopMax = median(rs.map((r) => r.loopMax))
    rows.push([
      label,
      ms(median(rs.map((r) => median(r.syncs)))),
      ms(median(rs.map((r) => (r.syncs.length > 0 ? Math.max(...r.syncs) : NaN)))),
      ms(median(rs.map((r) => r.loopP50))),
      ms(loopMax),
      `${(loopMax / base).toFixed(1)}x`,
    ])
  }
  printTable(rows)
}
