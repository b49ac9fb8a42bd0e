/**
 * `npm run bench -- import`: `.heapsnapshot` import against memlab's parser
 * (`@memlab/core`'s `utils.getSnapshotFromFile`, from bench/peers), on the
 * same files of about 50 MB, 300 MB and 1 GB, plus one over 2 GB for us
 * alone (JSON.parse cannot hold it, and memlab needs more RAM than the bench
 * allows). Each parse runs in a fresh process (bench/import-child.js), so
 * its peak RSS (VmHWM) is its own; they run one at a time.
 *
 * The files: V8 writes a real heap snapshot of a server-like heap with
 * allocation tracking (bench/import-heap.js, about 50 MB); larger ones are
 * disjoint copies of its graph (bench/import-scale.js), since V8 would need
 * a heap of several GB to write them. They live in a temp dir, deleted at
 * the end. `BENCH_IMPORT_SIZES=50,300` (MB) picks the sizes.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const here = __dirname
const peers = join(here, 'peers')
const MB = 1e6
/** Records per MB of the base snapshot (about 1,750 measured on Node 20). */
const UNITS_PER_MB = 1_750

interface Measure {
  /** Wall time of the parse. */
  ms: number
  /** CPU time of the parse (every thread), steadier than wall time on a busy machine. */
  cpuMs: number
  peakRss: number
  count: number
}

function node(args: string[], what: string): string {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${r.stderr}`)
  return r.stdout
}

function ensurePeers(): void {
  if (existsSync(join(peers, 'node_modules', '@memlab', 'core'))) return
  console.log('installing bench/peers (memlab) ...')
  const r = spawnSync('npm', ['ci', '--prefix', peers, '--no-audit', '--no-fund', '--ignore-scripts'], {
    stdio: 'inherit',
    env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' },
  })
  if (r.status !== 0) throw new Error('npm ci --prefix bench/peers failed')
}

function measure(parser: 'tracemalloc' | 'memlab', file: string): Measure {
  return JSON.parse(node([join(here, 'import-child.js'), parser, file], `${parser} on ${file}`)) as Measure
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`

export function runImportBench(): void {
  ensurePeers()
  const sizes = (process.env.BENCH_IMPORT_SIZES ?? '50,300,1000,2100').split(',').map(Number)
  const dir = mkdtempSync(join(tmpdir(), 'tm-bench-import-'))
  try {
    const base = join(dir, 'base.heapsnapshot')
    console.log(`writing a ~50 MB heap snapshot with V8 (${process.version}) ...`)
    const wrote = JSON.parse(
      node(['--max-old-space-size=4096', join(here, 'import-heap.js'), base, String(50 * UNITS_PER_MB), 'tracked'], 'import-heap.js'),
    )
    const baseBytes = statSync(base).size
    console.log(`  ${mb(baseBytes)} in ${secs(wrote.ms)}`)
    const rows: string[][] = []
    for (const target of sizes) {
      const copies = Math.max(1, Math.round((target * MB) / baseBytes))
      let file = base
      if (copies > 1) {
        file = join(dir, `x${copies}.heapsnapshot`)
        node([join(here, 'import-scale.js'), base, file, String(copies)], 'import-scale.js')
      }
      const bytes = statSync(file).size
      const ours = measure('tracemalloc', file)
      // memlab would need more than the bench's ~8 GB of RAM past 1 GB.
      const peer = bytes <= 1.2e9 ? measure('memlab', file) : undefined
      rows.push([
        mb(bytes),
        ours.count.toLocaleString('en-US'),
        peer ? `${secs(peer.ms)} (cpu ${secs(peer.cpuMs)})` : 'not run',
        peer ? mb(peer.peakRss) : '-',
        `${secs(ours.ms)} (cpu ${secs(ours.cpuMs)})`,
        mb(ours.peakRss),
        peer ? `${(peer.ms / ours.ms).toFixed(1)}x (cpu ${(peer.cpuMs / ours.cpuMs).toFixed(1)}x)` : '-',
        peer ? `${(peer.peakRss / ours.peakRss).toFixed(1)}x` : '-',
      ])
      console.log(`  ${rows.at(-1)!.join(' | ')}`)
      if (file !== base) rmSync(file)
    }
    const head = ['file', 'traces', 'memlab time', 'memlab peak RSS', 'tracemalloc time', 'tracemalloc peak RSS', 'speed-up', 'RSS ratio']
    const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`
    console.log(`\n.heapsnapshot import, fresh process per parse (Node ${process.version}):\n`)
    console.log(line(head))
    console.log(line(width.map((w) => '-'.repeat(w))))
    for (const r of rows) console.log(line(r))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
