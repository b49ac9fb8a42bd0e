/**
 * The traceback limit (nframe) in sampled mode: what deeper tracebacks cost
 * and what they buy. Parsers recurse deep, so a short traceback stops inside
 * them and never reaches the code that called them. For each depth: wall
 * time of the parsing vs untraced, time of one takeSnapshot() vs depth 1,
 * and the share of traced bytes whose traceback reaches the calling
 * function. Each run is a fresh process; times are medians, modes interleaved.
 */
import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'

import { printTable } from './snapshot'

const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const DEPTHS = ['none', '1', '10', '32', '64', '128', '512']
const WORKLOADS = ['acorn', 'typescript']
const root = resolve(__dirname, '..')

interface Run {
  ms: number
  snapshotMs: number
  reach: number | null
}

function once(workload: string, depth: string): Run {
  const r = spawnSync(process.execPath, [join(__dirname, 'nframe-workload.js'), workload, depth], { cwd: root, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${workload} ${depth}: ${r.stderr}`)
  return JSON.parse(r.stdout) as Run
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

export function runNframeBench(): void {
  console.log(`\nTraceback limit in sampled mode (32 KiB): median of ${RUNS} fresh processes per depth, depths interleaved`)
  const rows: string[][] = [['workload', 'nframe', 'parse time', 'vs untraced', 'takeSnapshot', 'vs nframe 1', 'bytes reaching the caller']]
  for (const w of WORKLOADS) {
    const runs = new Map<string, Run[]>(DEPTHS.map((d) => [d, []]))
    for (let r = 0; r < RUNS; r++) for (const d of DEPTHS) runs.get(d)!.push(once(w, d))
    const base = median(runs.get('none')!.map((r) => r.ms))
    const snap1 = median(runs.get('1')!.map((r) => r.snapshotMs))
    for (const d of DEPTHS) {
      const rs = runs.get(d)!
      const ms = median(rs.map((r) => r.ms))
      const snap = median(rs.map((r) => r.snapshotMs))
      const reach = d === 'none' ? '' : `${(100 * median(rs.map((r) => r.reach ?? 0))).toFixed(0)}%`
      rows.push([
        w,
        d === 'none' ? 'untraced' : d,
        `${ms.toFixed(0)} ms`,
        `${(ms / base).toFixed(2)}x`,
        d === 'none' ? '' : `${snap.toFixed(0)} ms`,
        d === 'none' ? '' : `${(snap / snap1).toFixed(2)}x`,
        reach,
      ])
    }
  }
  printTable(rows)
}
