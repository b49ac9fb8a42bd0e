/**
 * The host comes first: tracing must not change how the traced program
 * ends, what it leaves behind, the profilers it shares V8 with, or its
 * memory and responsiveness. Real processes, signals, files and profilers.
 */
import test from 'ava'
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

import { hostFixture, nodes, root, runJson, slot, version, type Ran } from './child'

/** A fresh private directory under the system temp dir, removed after the test. */
function scratch(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tracemalloc-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * Runs a fixture; when `trigger` appears on its stdout, sends `signal`.
 * Killed after 120 s.
 */
function runAndSignal(
  node: string,
  args: string[],
  env: Record<string, string>,
  trigger?: string,
  signal: NodeJS.Signals = 'SIGINT',
): Promise<Ran> {
  return slot(
    () =>
      new Promise<Ran>((done) => {
        // In a session of its own: no controlling terminal, so a signal
        // reaches only the process it is sent to.
        const child = spawn(node, args, { cwd: root, env: { ...process.env, ...env }, detached: true })
        let stdout = ''
        let stderr = ''
        let sent = false
        child.stdout.on('data', (d) => {
          stdout += d
          if (trigger !== undefined && !sent && stdout.includes(trigger)) {
            sent = true
            child.kill(signal)
          }
        })
        child.stderr.on('data', (d) => (stderr += d))
        const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
        child.on('close', (status, sig) => {
          clearTimeout(timer)
          done({ status, signal: sig, stdout, stderr })
        })
      }),
  )
}

/** True while process `pid` exists (and is not a zombie). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return true
  }
}

/** Waits up to `ms` for `pid` to be gone. */
async function gone(pid: number, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    if (!alive(pid)) return true
  }
  return !alive(pid)
}

const cli = resolve(root, 'dist/src/cli/main.js')

/** Sample count and allocating function names of a .heapprofile. */
function readHeapProfile(file: string): { samples: number; functions: Set<string> } {
  const p = JSON.parse(readFileSync(file, 'utf8'))
  const functions = new Set<string>()
  const walk = (n: any) => {
    if (n.selfSize > 0) functions.add(n.callFrame.functionName)
    n.children.forEach(walk)
  }
  walk(p.head)
  return { samples: p.samples.length, functions }
}

for (const node of nodes) {
  const v = version(node)
  // The other Node versions run the cases where they could differ, not the
  // whole matrix: the suite shares 2 cores.
  const main = node === process.execPath

  for (const mode of main ? ['sampled', 'exact'] : ['sampled']) {
    test(`${v}: ${mode}: clearTraces() and stop() release the tables; older snapshots stay valid`, async (t) => {
      const r = await runJson(node, [hostFixture('table-memory.js')], { MODE: mode })
      t.log(`baseline ${r.baseline} B, ${r.beforeRows} sites ${r.full} B, after clearTraces ${r.afterClear} B, after stop/start ${r.afterRestart} B`)
      t.true(r.full > 1_000_000, `the sites took room: ${r.full}`)
      t.true(r.afterClear < r.full / 20 && r.afterClear < 256 * 1024, `after clearTraces: ${r.afterClear} of ${r.full}`)
      t.true(r.afterRestart < 256 * 1024, `after stop() and start(): ${r.afterRestart}`)
      t.true(r.afterAgain < r.full / 5, `100 sites again: ${r.afterAgain}`)
      t.true(r.beforeStillValid, 'a snapshot taken before clearTraces() reads the same')
      // compareTo across the old and the new tables matches sites by content.
      const [now, then] = [r.site5.now, r.site5.then]
      t.deepEqual(r.site5.d, [now[0], now[0] - then[0], now[1], now[1] - then[1]])
      t.is(r.site500.now, undefined)
      t.deepEqual(r.site500.d, [0, -r.site500.then[0], 0, -r.site500.then[1]])
    })
  }

  for (const mode of ['sampled', 'exact']) {
    test(`${v}: ${mode}: node --heap-prof keeps its profile`, async (t) => {
      const dir = scratch(t)
      const r = await runJson(node, ['--heap-prof', `--heap-prof-dir=${dir}`, '--heap-prof-interval=4096', hostFixture('heap-prof.js')], { MODE: mode })
      t.false(r.tracing)
      if (mode === 'sampled') {
        t.is(r.started, undefined, 'sampled mode does not start on top of another sampler')
        t.regex(r.error, /^Error: another sampling heap profiler is already running in this thread \(node --heap-prof/)
        t.regex(r.error, /mode: 'exact'/, 'the error says what to do instead')
      } else {
        t.true(r.started, r.error)
        t.true(r.traces > 100_000, `exact mode traced ${r.traces}`)
      }
      // The main thread's profile (thread 0), written by Node at exit.
      const files = readdirSync(dir).filter((f) => /^Heap\..*\.0\.\d+\.heapprofile$/.test(f))
      t.is(files.length, 1, `profiles: ${readdirSync(dir).join(', ')}`)
      const profile = readHeapProfile(join(dir, files[0]!))
      t.true(profile.samples > 100, `${profile.samples} samples`)
      t.true(profile.functions.has('heapProfFixtureAlloc'), 'it saw the allocations made after stop()')
    })
  }

  test(`${v}: sampled: another client stops the sampler: clear errors, and its own sampler is left alone`, async (t) => {
    const r = await runJson(node, [hostFixture('lost-sampler.js')])
    t.true(r.before > 0)
    t.regex(r.lost, /^Error: V8's sampling heap profiler was stopped by another client/)
    t.regex(r.cleared, /^Error: another sampling heap profiler is already running/, 'clearTraces() does not take it over')
    t.is(r.stopped, 'ok')
    t.true(r.othersSamples > 0, `stop() left the other client's sampler running: ${r.othersSamples}`)
    t.is(r.restarted, 'ok')
    t.true(r.again > 0, 'once it is gone, tracing starts again')
  })

  const endings: [mode: string, ending: string, expect: { status?: number; signal?: NodeJS.Signals; trigger?: string }][] = [
    ['sampled', 'normal', { status: 0 }],
    ['sampled', 'throw', { status: 1 }],
    ['sampled', 'sigint', { signal: 'SIGINT', trigger: 'waiting' }],
    ['sampled', 'worker-exit', { status: 0 }],
    ['exact', 'normal', { status: 0 }],
    ['exact', 'throw', { status: 1 }],
    ['exact', 'sigint', { signal: 'SIGINT', trigger: 'waiting' }],
    ['exact', 'exit-in-sync', { status: 0 }],
    ['exact', 'throw-in-sync', { status: 1 }],
    ['exact', 'sigint-in-sync', { signal: 'SIGINT', trigger: 'mid-sync' }],
    ['exact', 'worker-exit', { status: 0 }],
    ['exact', 'worker-killed', { status: 0 }],
  ]
  const everywhere = new Set(['sampled sigint', 'exact exit-in-sync', 'exact sigint-in-sync', 'exact worker-killed'])
  for (const [mode, ending, expect] of endings.filter(([m, e]) => main || everywhere.has(`${m} ${e}`))) {
    test(`${v}: ${mode}, ${ending}: no temporary file is left, and none was ever readable by others`, async (t) => {
      const tmp = scratch(t)
      const r = await runAndSignal(node, [hostFixture('temp-files.js')], { TMPDIR: tmp, MODE: mode, CASE: ending }, expect.trigger)
      if (expect.signal) t.is(r.signal, expect.signal, `${r.status} ${r.stderr}`)
      else t.is(r.status, expect.status!, r.stderr)
      if (ending.startsWith('worker')) t.regex(r.stdout, /worker gone/)
      t.deepEqual(readdirSync(tmp), [], 'nothing of ours remains in the temp dir')
      t.notRegex(r.stderr, /Waiting for the debugger/)
      const modes = r.stdout.split('\n').filter((l) => l.startsWith('modes '))
      if (ending.includes('in-sync') || ending.startsWith('worker-')) t.true(modes.length > 0 || mode === 'sampled', 'the wrapper saw a write')
      for (const line of modes) {
        const [, file, dir, existed] = line.split(' ')
        t.is(existed, 'true', 'the file exists before V8 writes it: created exclusively by us')
        t.is(parseInt(file!, 8) & 0o077, 0, `file mode ${file}`)
        t.is(parseInt(dir!, 8) & 0o077, 0, `directory mode ${dir}`)
      }
    })
  }

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    test(`${v}: tracemalloc run: ${signal} reaches the program, which dies by it, and the report is printed`, async (t) => {
      const r = await runAndSignal(node, [cli, 'run', '--nframe', '3', '--', hostFixture('server.js')], {}, 'ready', signal)
      t.is(r.signal, signal, `tracemalloc run ends by the program's signal (status ${r.status}): ${r.stderr}`)
      t.regex(r.stderr, /\[ Top \d+ of \d+ \]/, 'the report was printed')
      t.notRegex(r.stderr, /Waiting for the debugger/)
      t.true(r.stderr.includes(`${hostFixture('server.js')}:`), r.stderr)
      t.regex(r.stderr, /Total: /)
      t.notRegex(r.stdout, /timed out/)
      const pid = Number(/ready (\d+)/.exec(r.stdout)![1])
      t.true(await gone(pid), `the program (pid ${pid}) did not outlive tracemalloc run`)
    })

    test(`${v}: tracemalloc run: a program that handles ${signal} gets it once and exits normally, with its report`, async (t) => {
      const r = await runAndSignal(node, [cli, 'run', '--', hostFixture('server.js')], { HANDLER: 'graceful' }, 'ready', signal)
      t.is(r.status, 0, r.stderr)
      t.notRegex(r.stdout, /timed out/)
      t.regex(r.stdout, new RegExp(`got ${signal}`))
      t.regex(r.stdout, /signals 1\n/, 'delivered exactly once')
      t.regex(r.stderr, /\[ Top \d+ of \d+ \]/)
    })
  }

  test(`${v}: tracemalloc run --exact: SIGTERM still gives the report`, async (t) => {
    const r = await runAndSignal(node, [cli, 'run', '--exact', '--', hostFixture('server.js')], {}, 'ready', 'SIGTERM')
    t.is(r.signal, 'SIGTERM', r.stderr)
    t.notRegex(r.stdout, /timed out/)
    t.regex(r.stderr, /exact mode/)
    t.true(r.stderr.includes(`${hostFixture('server.js')}:`), r.stderr)
  })

  test(`${v}: tracemalloc run passes the program's exit code through`, async (t) => {
    const r = await runAndSignal(node, [cli, 'run', '--', hostFixture('server.js')], { EXIT_CODE: '7' })
    t.is(r.status, 7, r.stderr)
    t.regex(r.stderr, /Total: /)
  })

  test(`${v}: tracemalloc run: a synchronous program that calls process.exit() ends without waiting for a debugger`, async (t) => {
    // As tsc does: busy from its first module to process.exit(), so this
    // thread never hears that the sync worker connected its session.
    const r = await runAndSignal(node, [cli, 'run', '--top', '3', '--', hostFixture('busy-exit.js')], {})
    t.is(r.status, 3, r.stderr)
    t.notRegex(r.stderr, /Waiting for the debugger/)
    t.true(r.stderr.includes(`${hostFixture('busy-exit.js')}:`), r.stderr)
  })

  test(`${v}: tracemalloc run in a terminal: Ctrl-C reaches the program once`, async (t) => {
    // A real pseudo-terminal (util-linux script): ^C makes the terminal send
    // SIGINT to its whole foreground process group, tracemalloc run and the
    // program alike; run must not send the program a second one.
    // `exec`: script runs the command through $SHELL, and a shell that waits
    // for its child (dash) would itself die of the ^C and report 130.
    const command = `exec ${[node, cli, 'run', '--', hostFixture('server.js')].map((a) => `'${a}'`).join(' ')}`
    const r = await slot(
      () =>
        new Promise<Ran>((done) => {
          const child = spawn('script', ['-qfec', command, '/dev/null'], {
            cwd: root,
            env: { ...process.env, HANDLER: 'graceful' },
            detached: true,
          })
          let out = ''
          let sent = false
          child.stdout.on('data', (d) => {
            out += d
            if (!sent && out.includes('ready')) {
              sent = true
              child.stdin.write('\x03')
            }
          })
          const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
          child.on('close', (status, signal) => {
            clearTimeout(timer)
            done({ status, signal, stdout: out, stderr: '' })
          })
        }),
    )
    t.regex(r.stdout, /got SIGINT/, r.stdout)
    t.regex(r.stdout, /signals 1\r?\n/, 'one SIGINT, not one from the terminal and one forwarded')
    t.regex(r.stdout, /\[ Top \d+ of \d+ \]/, 'the report (stderr goes to the terminal too)')
    t.is(r.status, 0)
  })

  test(`${v}: a traced worker blocked in synchronous code: syncs go on without it, and it catches up once free`, async (t) => {
    // The stall itself is measured by \`npm run bench -- stall\`, not here.
    const r = await runJson(node, [hostFixture('busy-worker.js')])
    t.true(r.idle.first > 100_000 * 16, `the idle worker synced: ${JSON.stringify(r.idle)}`)
    t.true(r.stillBlocked, 'the worker stayed blocked through three syncs of the main thread')
    for (const b of r.busy) t.deepEqual(b, r.idle, 'meanwhile its traces are those of its last sync')
    t.true(r.free.second > 100_000 * 16, `once free it synced its newer allocations: ${JSON.stringify(r.free)}`)
  })
}

