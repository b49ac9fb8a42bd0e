/**
 * Capture benchmark, every figure against a baseline or a truth measured in
 * the same run, each run a fresh process (tracing is process-wide):
 *
 * 1. overhead and site accuracy of each mode and of two peers at the same
 *    interval (`@datadog/pprof`'s heap profiler, `node --heap-prof`) on three
 *    workloads, with the time of one read of the live allocations;
 * 2. the size sweep: known retained sets of 16 B to 1 MiB objects;
 * 3. the count sweep: every 8-aligned object size from 16 B to 4 KiB.
 *
 * The peers live in bench/peers (installed here with `npm install --prefix
 * bench/peers` when missing); without them their rows say so.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { printTable } from './snapshot'

const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const INTERVAL = 32 * 1024
const WORKLOADS = ['churn', 'bigValues', 'app']
const root = resolve(__dirname, '..')
const peersDir = join(__dirname, 'peers')

interface Run {
  ms: number
  sites: [string, number][] | null
  read: { ms: number; withGcMs?: number; gcMs?: number } | null
}

/** Installs the peers when missing; false (with the reason printed) when they cannot be. */
function ensurePeers(): boolean {
  if (existsSync(join(peersDir, 'node_modules', '@datadog', 'pprof'))) return true
  console.log('\nInstalling the peers: npm install --prefix bench/peers')
  const r = spawnSync('npm', ['install', '--prefix', peersDir, '--no-audit', '--no-fund'], { encoding: 'utf8', stdio: 'inherit' })
  if (r.status === 0 && existsSync(join(peersDir, 'node_modules', '@datadog', 'pprof'))) return true
  console.log('Peers skipped: npm install --prefix bench/peers failed')
  return false
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function node(args: string[], nodeFlags: string[] = []): string {
  const r = spawnSync(process.execPath, [...nodeFlags, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 256 << 20 })
  if (r.status !== 0) throw new Error(`node ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

/** Live bytes per function start (`file:line:column`, 1-based) in a `.heapprofile`, as tracemalloc keys sites. */
function heapProfileSites(file: string): [string, number][] {
  interface HNode {
    callFrame: { url: string; lineNumber: number; columnNumber: number; functionName: string }
    selfSize: number
    children: HNode[]
  }
  const head = (JSON.parse(readFileSync(file, 'utf8')) as { head: HNode }).head
  const sites = new Map<string, number>()
  const stack = [head]
  while (stack.length > 0) {
    const n = stack.pop()!
    stack.push(...n.children)
    if (n.selfSize === 0) continue
    const { url, lineNumber, columnNumber, functionName } = n.callFrame
    const path = url.startsWith('file://') ? fileURLToPath(url) : url || '<unknown>'
    // As tracemalloc prints a frame: without a line, the function name stands in.
    const key = lineNumber >= 0 ? `${path}:${lineNumber + 1}:${columnNumber + 1}` : `${path}:${functionName || '(anonymous)'}`
    sites.set(key, (sites.get(key) ?? 0) + n.selfSize)
  }
  return [...sites].sort((a, b) => b[1] - a[1])
}

/** Runs `script args` under `node --heap-prof` at `interval`; returns its stdout and the profile's sites. */
function underHeapProf(script: string, args: string[], interval: number): { stdout: string; sites: [string, number][] } {
  const dir = mkdtempSync(join(tmpdir(), 'tracemalloc-heapprof-'))
  try {
    const stdout = node([script, ...args], ['--heap-prof', `--heap-prof-interval=${interval}`, `--heap-prof-dir=${dir}`])
    const file = readdirSync(dir).find((f) => f.endsWith('.heapprofile'))
    if (!file) throw new Error(`node --heap-prof wrote no profile for ${args.join(' ')}`)
    return { stdout, sites: heapProfileSites(join(dir, file)) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function once(workload: string, mode: string): Run {
  const script = join(__dirname, 'capture-workload.js')
  if (mode.startsWith('heapprof:')) {
    const { stdout, sites } = underHeapProf(script, [workload, mode], Number(mode.split(':')[1]))
    return { ...(JSON.parse(stdout) as Run), sites }
  }
  return JSON.parse(node([script, workload, mode])) as Run
}

function label(mode: string): string {
  if (mode === 'none') return 'untraced'
  if (mode === 'exact') return 'tracemalloc exact'
  const [peer, iv] = mode.includes(':') ? mode.split(':') : [null, mode]
  const n = Number(iv)
  const size = n >= 1024 ? `${n / 1024} KiB` : `${n} B`
  if (peer === 'pprof') return `@datadog/pprof ${size}`
  if (peer === 'heapprof') return `node --heap-prof ${size}`
  return `tracemalloc ${size}`
}

function overhead(peers: boolean): void {
  const modes = ['none', 'exact', '1024', '4096', String(INTERVAL), '524288']
  if (peers) modes.push(`pprof:${INTERVAL}`, `heapprof:${INTERVAL}`)
  console.log(
    `\nCapture: wall time vs untraced (median of ${RUNS} fresh processes, modes interleaved), the time of one read of the` +
      ' live allocations (tracemalloc: takeSnapshot(), and the full GC that V8 runs on every read of a sampling profile;' +
      ' pprof: profile(), and a GC then profile()), and the bytes of the top sites (up to 10, each >= 1% of the total)' +
      ' vs exact mode, |error| averaged over the runs',
  )
  const rows: string[][] = [['workload', 'tracer', 'time', 'vs untraced', 'one read', 'sites', 'median |error| of sites', 'worst site']]
  for (const w of WORKLOADS) {
    const runs = new Map<string, Run[]>(modes.map((m) => [m, []]))
    runs.get('exact')!.push(once(w, 'exact'))
    // Round-robin, so that machine noise spreads over every mode alike.
    for (let r = 0; r < RUNS; r++) for (const m of modes) if (m !== 'exact') runs.get(m)!.push(once(w, m))
    const base = median(runs.get('none')!.map((r) => r.ms))
    const exactSites = runs.get('exact')![0]!.sites!
    // The ten largest sites that hold at least 1% of the traced bytes: sampling
    // cannot see a site of a few KiB at a 32 KiB interval, and should not be asked to.
    const total = exactSites.reduce((a, [, size]) => a + size, 0)
    const top = exactSites.filter(([, size]) => size >= total / 100).slice(0, 10)
    for (const m of modes) {
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
      let read = '-'
      const reads = rs.map((r) => r.read).filter((r) => r !== null)
      if (reads.length > 0) {
        const readMs = median(reads.map((r) => r.ms))
        if (reads[0]!.withGcMs !== undefined) read = `${readMs.toFixed(0)} ms (${median(reads.map((r) => r.withGcMs!)).toFixed(0)} with GC)`
        else if (reads[0]!.gcMs !== undefined && m !== 'exact') read = `${readMs.toFixed(0)} ms (GC ${median(reads.map((r) => r.gcMs!)).toFixed(0)})`
        else read = `${readMs.toFixed(0)} ms`
      }
      const sites = m === 'none' ? '-' : String(top.length)
      rows.push([w, label(m), `${ms.toFixed(0)} ms`, `${(ms / base).toFixed(2)}x`, read, sites, accuracy, worst])
    }
  }
  printTable(rows)
}

interface SetDef {
  kind: string
  size: number
}

function sizeSweep(peers: boolean): void {
  const script = join(__dirname, 'capture-accuracy.js')
  const sets = JSON.parse(node([script, 'sets'])) as SetDef[]
  const tm: { n: number; bytes: number; count: number; perSample: number }[][] = []
  const pp: { n: number; bytes: number }[][] = []
  const hp: number[][] = sets.map(() => [])
  for (let r = 0; r < RUNS; r++) {
    tm.push(JSON.parse(node([script, 'sizes', 'tracemalloc', String(INTERVAL)])))
    if (peers) {
      pp.push(JSON.parse(node([script, 'sizes', 'pprof', String(INTERVAL)])))
      sets.forEach((set, i) => {
        const { stdout, sites } = underHeapProf(script, ['size-set', String(i)], INTERVAL)
        const { n, fn } = JSON.parse(stdout) as { n: number; fn: string }
        // The maker functions (bench/known-sets.js) are the only ones named so; sum every site they own.
        const makers = join(__dirname, 'known-sets.js')
        const line = readFileSync(makers, 'utf8').split('\n').findIndex((l) => l.startsWith(`function ${fn}(`)) + 1
        const bytes = sites.filter(([k]) => k.startsWith(`${makers}:${line}:`)).reduce((a, [, b]) => a + b, 0)
        hp[i]!.push(bytes / (n * set.size))
      })
    }
  }
  console.log(
    `\nSize sweep at ${INTERVAL / 1024} KiB: known retained sets (48 MiB of one object size each, truth = objects x size by` +
      ` V8's layout), bytes read / true bytes, median of ${RUNS} runs. "per-sample sizes" sums the protocol's per-sample` +
      ' sizes of the same profiles, which is how tracemalloc read bytes before.',
  )
  const ratio = (x: number) => `${x.toFixed(3)}x`
  const header = ['object size', 'objects', 'tracemalloc', 'tracemalloc count', 'per-sample sizes (before)']
  if (peers) header.push('@datadog/pprof', 'node --heap-prof')
  const rows: string[][] = [header]
  let worst = 0
  sets.forEach((set, i) => {
    const truth = (x: { n: number }) => x.n * set.size
    const ours = median(tm.map((run) => run[i]!.bytes / truth(run[i]!)))
    worst = Math.max(worst, Math.abs(ours - 1))
    const count = set.kind === 'array' ? '-' : ratio(median(tm.map((run) => run[i]!.count / run[i]!.n)))
    const row = [
      `${set.size} B (${set.kind})`,
      String(tm[0]![i]!.n),
      ratio(ours),
      count,
      ratio(median(tm.map((run) => run[i]!.perSample / truth(run[i]!)))),
    ]
    if (peers) row.push(ratio(median(pp.map((run) => run[i]!.bytes / truth(run[i]!)))), ratio(median(hp[i]!)))
    rows.push(row)
  })
  printTable(rows)
  console.log(`tracemalloc's worst set: ${(worst * 100).toFixed(1)}% off`)
}

function countSweep(): void {
  const script = join(__dirname, 'capture-accuracy.js')
  console.log(
    `\nCount sweep at ${INTERVAL / 1024} KiB: every 8-aligned object size from 16 B to 4 KiB, one site each, with about k` +
      " samples each. tracemalloc's count against V8's own count of the same samples (read through @datadog/pprof's" +
      ' native API, which sees the object size) isolates the size recovery; against the truth it adds sampling error.',
  )
  const rows: string[][] = [
    [
      'samples a size',
      'sizes read = V8 count',
      'worst vs V8',
      'median |error| vs truth',
      'sizes solved',
      'before: = V8 count',
      'before: worst',
    ],
  ]
  const worstRatio = (xs: number[]) => Math.max(...xs.map((x) => Math.max(x, 1 / x)))
  for (const k of [3, 10, 30, 100]) {
    const r = JSON.parse(node([script, 'counts', String(k), String(INTERVAL)])) as {
      n: number
      count: number
      v8: number
      before: number
      solved: number
    }[]
    const seen = r.filter((x) => x.v8 > 0)
    const same = (a: number, b: number) => Math.abs(a / b - 1) <= 0.001
    rows.push([
      String(k),
      `${seen.filter((x) => same(x.count, x.v8)).length} of ${seen.length}`,
      `${worstRatio(seen.map((x) => x.count / x.v8)).toFixed(2)}x`,
      `${(median(r.map((x) => Math.abs(x.count / x.n - 1))) * 100).toFixed(1)}%`,
      `${r.filter((x) => x.solved > 0.99).length} of ${r.length}`,
      `${seen.filter((x) => same(x.before, x.v8)).length} of ${seen.length}`,
      `${worstRatio(seen.map((x) => x.before / x.v8)).toFixed(1)}x`,
    ])
  }
  printTable(rows)
}

export function runCaptureBench(): void {
  const peers = ensurePeers()
  overhead(peers)
  sizeSweep(peers)
  if (peers) countSweep()
  else console.log('\nCount sweep skipped: it reads V8 own counts through @datadog/pprof')
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
