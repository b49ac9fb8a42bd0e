/**
 * `tracemalloc run` writing snapshots: `-o FILE` (then `top` on it),
 * `--snapshot-every SECONDS -o DIR` (a numbered series that `compare`
 * diffs), the final snapshot and report on SIGINT/SIGTERM/SIGHUP, and
 * `--json`, which keeps stdout for the JSON report alone.
 */
import test from 'ava'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

import { root, slot, type Ran } from './child'
import { cli, grow, scratchDir, tm, tmJson } from './cli-harness'

const dir = scratchDir()

/**
 * Rows whose most recent frame is in grow.js: makeRow(), or addRows()
 * once V8 has inlined makeRow() into it.
 */
const atSite = (rows: { frames: { filename: string; lineno: number }[] }[]) => rows.filter((r) => r.frames[0]?.filename === grow)

/**
 * Runs `tracemalloc ...args` in a session of its own; once `ready(stdout,
 * stderr)` holds, sends it `signal`. Killed after 120 s.
 */
function runUntil(args: string[], ready: (stdout: string) => boolean, signal: NodeJS.Signals): Promise<Ran> {
  return slot(
    () =>
      new Promise<Ran>((done) => {
        const child = spawn(process.execPath, [cli, ...args], { cwd: root, detached: true })
        let stdout = ''
        let stderr = ''
        let sent = false
        const poll = setInterval(() => {
          if (!sent && ready(stdout)) {
            sent = true
            child.kill(signal)
          }
        }, 50)
        child.stdout.on('data', (d) => (stdout += d))
        child.stderr.on('data', (d) => (stderr += d))
        const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
        child.on('close', (status, sig) => {
          clearTimeout(timer)
          clearInterval(poll)
          done({ status, signal: sig, stdout, stderr })
        })
      }),
  )
}

test('run -o FILE writes the final snapshot, and top reads it', async (t) => {
  const file = join(dir, 'final.tmsnap')
  const r = await tm(['run', '--nframe', '4', '-o', file, '--', grow], { GROW_MS: '300' })
  t.is(r.status, 0, r.stderr)
  t.true(r.stderr.includes(`wrote ${file}`), r.stderr)
  t.regex(r.stderr, /^\[ Top \d+ of \d+ \]$/m, 'the report is still printed')
  const top = await tmJson(['top', '--limit', '0', file])
  t.is(top.kind, 'tracemalloc')
  t.true(atSite(top.rows).length > 0, `no row in ${grow}`)
  const info = await tmJson(['info', file])
  t.is(info.tracebackLimit, 4)
})

test('run --snapshot-every writes a numbered series and a final snapshot; compare shows the growth', async (t) => {
  const series = join(dir, 'series')
  const r = await tm(['run', '--snapshot-every', '0.25', '-o', series, '--', grow], { GROW_MS: '1500' })
  t.is(r.status, 0, r.stderr)
  const names = readdirSync(series).sort()
  t.true(names.length >= 3, names.join(', '))
  t.deepEqual(
    names,
    names.map((_, i) => `snapshot-${String(i + 1).padStart(4, '0')}.tmsnap`),
  )
  t.true(r.stderr.includes(`wrote ${join(series, names.at(-1)!)}`), 'the final snapshot is the last of the series')
  const [first, last] = [join(series, names[0]!), join(series, names.at(-1)!)]
  const out = await tmJson(['compare', '--limit', '0', first, last])
  t.true(out.sizeDiff > 0, `total grew: ${out.sizeDiff}`)
  const site = atSite(out.rows)
  t.true(site.length > 0)
  t.true(site.reduce((a: number, row: any) => a + row.sizeDiff, 0) > 0)
  const check = await tm(['compare', '--fail-over', '1', first, last])
  t.is(check.status, 1, check.stderr)
})

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  test(`run -o FILE: ${signal} to tracemalloc run still writes the snapshot and the report`, async (t) => {
    const file = join(dir, `signal-${signal}.tmsnap`)
    // The signal comes 600 ms after "ready": about 1 MB of rows, some 30
    // samples at the default interval, so the snapshot surely holds some.
    let readyAt = 0
    const grown = (stdout: string) => stdout.includes('ready') && Date.now() - (readyAt ||= Date.now()) > 600
    const r = await runUntil(['run', '-o', file, '--', grow], grown, signal)
    t.is(r.signal, signal, `run dies by the program's signal (status ${r.status}): ${r.stderr}`)
    t.true(r.stderr.includes(`wrote ${file}`), r.stderr)
    t.regex(r.stderr, /^\[ Top \d+ of \d+ \]$/m)
    const top = await tmJson(['top', '--limit', '0', file])
    t.true(atSite(top.rows).length > 0)
  })
}

test('run --snapshot-every: SIGTERM ends a server that never exits, and the series ends with a final snapshot', async (t) => {
  const series = join(dir, 'server-series')
  const count = () => (existsSync(series) ? readdirSync(series).filter((n) => n.endsWith('.tmsnap')).length : 0)
  const r = await runUntil(['run', '--snapshot-every', '0.2', '-o', series, '--', grow], () => count() >= 2, 'SIGTERM')
  t.is(r.signal, 'SIGTERM', r.stderr)
  const names = readdirSync(series).sort()
  t.true(names.length >= 3, `the series and a final one: ${names.join(', ')}`)
  t.true(r.stderr.includes(`wrote ${join(series, names.at(-1)!)}`), r.stderr)
  t.deepEqual(readdirSync(series).filter((n) => !n.endsWith('.tmsnap')), [], 'no temporary file left behind')
  const out = await tmJson(['compare', join(series, names[0]!), join(series, names.at(-1)!)])
  t.true(out.sizeDiff > 0)
})

test('run --json: stdout holds only the JSON report; the program\'s own stdout goes to stderr', async (t) => {
  const file = join(dir, 'json.tmsnap')
  const r = await tm(['run', '--json', '--top', '50', '--nframe', '3', '-o', file, '--', grow], { GROW_MS: '200', SAY: 'hello from the program' })
  t.is(r.status, 0, r.stderr)
  const report = JSON.parse(r.stdout)
  t.true(r.stderr.includes('hello from the program'))
  t.false(r.stdout.includes('hello from the program'))
  t.is(report.keyType, 'lineno')
  t.is(report.tracebackLimit, 3)
  t.deepEqual(report.snapshots, [file])
  t.true(atSite(report.rows).length > 0)
  t.true(report.total.size > 0)
})

test('run -o into a directory that does not exist is a usage error before the program starts', async (t) => {
  const r = await tm(['run', '-o', join(dir, 'no/such/dir/x.tmsnap'), '--', grow], { GROW_MS: '10', SAY: 'started' })
  t.is(r.status, 2)
  t.regex(r.stderr, /no\/such\/dir.*does not exist/)
  t.false(r.stdout.includes('started'))
})
