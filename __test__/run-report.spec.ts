/**
 * `tracemalloc run` reports what the API reports on the same workload: it
 * keeps no module scope alive and leaves module sources as they are, while
 * frames of modules the program dropped stay resolvable.
 */
import test from 'ava'
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(__dirname, '..')
const cli = join(root, 'dist/src/cli/main.js')
const fixture = (name: string) => resolve(__dirname, 'fixtures/sites', name)
const INTERVAL = 4096

function stderrOf(args: string[], cwd: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(process.execPath, args, { cwd, maxBuffer: 64 << 20, timeout: 120_000 }, (err, _stdout, stderr) => {
      if (err) fail(new Error(`${err.message}\n${stderr}`))
      else done(stderr)
    })
  })
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }

/** Rows `key: size=N unit, ...` of a report, as key -> bytes. */
function rows(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    const m = /^(.+?): size=([\d.]+) (B|KiB|MiB|GiB)\b/.exec(line)
    // Rows of one line and column but different functions print the same key: sum them.
    if (m) out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[2]) * UNITS[m[3]!]!)
  }
  return out
}

test('tracemalloc run reports what the API reports on the same workload', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracemalloc-run-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const f of ['run-app.js', 'scoped.js', 'make.js']) cpSync(fixture(f), join(dir, f))
  // A module with 4 MiB of source: its script, alive, holds that string.
  writeFileSync(join(dir, 'big-source.js'), `'use strict'\n/*${'x'.repeat(4 << 20)}*/\nmodule.exports = () => 42\n`)
  const viaRun = rows(await stderrOf([cli, 'run', '--nframe', '5', '--interval', String(INTERVAL), '--top', '1000', '--', 'run-app.js'], dir))
  const viaApi = rows(await stderrOf(['run-app.js', 'api', root, String(INTERVAL)], dir))
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0)
  const [runTotal, apiTotal] = [total(viaRun), total(viaApi)]
  const show = `run: ${JSON.stringify([...viaRun])}\napi: ${JSON.stringify([...viaApi])}`
  // The dropped module's table is garbage in both (keeping module scopes
  // alive made it the top site under `run`).
  const scoped = (m: Map<string, number>) => [...m].filter(([k]) => k.includes('scoped.js')).reduce((a, [, s]) => a + s, 0)
  t.true(scoped(viaRun) < 0.02 * runTotal, show)
  t.true(scoped(viaApi) < 0.02 * apiTotal, show)
  // Totals, and every row that holds 5% or more on either side, agree
  // within sampling error (about 4% per row at this interval).
  t.true(Math.abs(runTotal / apiTotal - 1) < 0.2, show)
  // Rows of the dropped factory module: its script is dead by the end, so
  // through the API (no sync while it lived) they may have lost their file;
  // `run` keeps them resolved. Compared apart below.
  const made = (k: string) => k.includes('make.js') || k.startsWith('<unknown>:')
  for (const [key, size] of [...viaRun, ...viaApi]) {
    if (made(key) || size < 0.05 * Math.min(runTotal, apiTotal)) continue
    const a = viaRun.get(key) ?? 0
    const b = viaApi.get(key) ?? 0
    t.true(Math.abs(a / b - 1) < 0.25, `${key}: run ${a}, api ${b}\n${show}`)
  }
  // The module source is in both reports (a 4 MiB string, exact at any interval).
  const sources = (m: Map<string, number>) => [...m.values()].filter((s) => s >= 4 << 20).length
  t.true(sources(viaRun) >= 1 && sources(viaApi) >= 1, show)
  // The frames of the dropped module still resolve under `run`, and hold what the API sees there.
  const sum = (m: Map<string, number>, f: (k: string) => boolean) => [...m].filter(([k]) => f(k)).reduce((a, [, s]) => a + s, 0)
  const runMade = sum(viaRun, (k) => k.includes('make.js'))
  t.true(runMade > 0.1 * runTotal, show)
  t.true(sum(viaRun, (k) => k.startsWith('<unknown>:')) < 0.02 * runTotal, show)
  t.true(Math.abs(runMade / sum(viaApi, made) - 1) < 0.25, show)
})

test('tracemalloc run keeps 128 frames by default, enough to reach the caller of a parser', async (t) => {
  const out = await new Promise<string>((done, fail) => {
    execFile(process.execPath, [cli, 'run', '--', fixture('limit-app.js'), root], { cwd: root }, (err, stdout, stderr) => {
      if (err) fail(new Error(`${err.message}\n${stderr}`))
      else done(stdout)
    })
  })
  t.deepEqual(JSON.parse(out.trim().split('\n')[0]!), { tracing: true, limit: 128 })
})

test('tracemalloc run leaves out what Node allocates for the source maps that run turned on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracemalloc-run-maps-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // A module of 20,000 lines with a source map: Node keeps an array of its line lengths once maps are on.
  const map = Buffer.from(JSON.stringify({ version: 3, sources: [], names: [], mappings: '' })).toString('base64')
  const lines = Array.from({ length: 20000 }, (_, i) => `exports.v${i} = ${i}`)
  writeFileSync(join(dir, 'big.js'), `${lines.join('\n')}\n//# sourceMappingURL=data:application/json;base64,${map}\n`)
  writeFileSync(join(dir, 'main.js'), "globalThis.big = require('./big')\nsetTimeout(() => {}, 300)\n")
  const report = await stderrOf([cli, 'run', '--interval', '1024', '--top', '1000', '--', 'main.js'], dir)
  t.regex(report, /Total: /)
  t.notRegex(report, /^node:internal\/source_map\//m, report)
  // The program's own module loading is still there: under Node's loader frames, or folded into the
  // program's require (Node 22 reaches the loader through main.js, Node 20 from its own startup).
  t.regex(report, /^(node:internal\/modules\/|\S+main\.js:\d+:\d+ \(via require\b)/m, report)
})

