/**
 * Bad input never hangs, never panics across the boundary, and gets a
 * message a JavaScript user can act on: source files that are devices or
 * pipes, shared memory that changes under a call, misspelt options, and
 * error messages that name JavaScript's types.
 */
import test from 'ava'
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Worker } from 'node:worker_threads'

import * as tm from '../index'

const root = resolve(__dirname, '..')

/** Runs `node -e code` with a deadline; resolves with what happened. */
function runNode(code: string, timeoutMs: number): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['-e', code],
      { cwd: root, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number; signal?: string }) | null
        done({ status: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr })
      },
    )
  })
}

test('format() reads only regular files: a device or a named pipe gives no source line, and no hang', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracemalloc-test-'))
  try {
    const fifo = join(dir, 'pipe.js')
    execFileSync('mkfifo', [fifo])
    const big = join(dir, 'big.js')
    // Larger than the cap: read nothing rather than hold it all.
    writeFileSync(big, `${'x'.repeat(80)}\n`.repeat(Math.ceil((64 << 20) / 81) + 2000))
    const code = `
      const { Traceback } = require('./dist/index.js')
      const out = {}
      for (const f of ${JSON.stringify(['/dev/zero', fifo, big, '/proc/self/status'])}) {
        const started = Date.now()
        out[f] = { lines: new Traceback([[f, 1]]).format(), ms: Date.now() - started }
      }
      console.log(JSON.stringify(out))`
    // Before the fix, /dev/zero grew until killed and the pipe blocked forever.
    const r = await runNode(code, 60_000)
    t.is(r.signal, null, `killed after 60 s: ${r.stderr}`)
    t.is(r.status, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    t.deepEqual(out['/dev/zero'].lines, ['  File "/dev/zero", line 1'])
    t.deepEqual(out[fifo].lines, [`  File "${fifo}", line 1`])
    t.deepEqual(out[big].lines, [`  File "${big}", line 1`], 'a file over the size cap is not read')
    // A regular file that reports size 0 (procfs) is still read, up to the cap.
    t.regex(out['/proc/self/status'].lines[1], /^ {4}Name:/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('fromColumns on shared memory that changes during the call: a clear error or a snapshot, never a panic', async (t) => {
  const n = 20_000
  const shared = new SharedArrayBuffer(n * 4)
  const seqFrames = new Uint32Array(shared)
  const control = new Int32Array(new SharedArrayBuffer(8))
  const columns = {
    strings: ['a.js'],
    frames: Uint32Array.from([0, 1, 1, 0xffffffff]),
    seqEnds: Uint32Array.from({ length: n }, (_, i) => i + 1),
    seqFrames,
    tracebacks: Uint32Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? i / 2 : 1)),
    domain: new Uint32Array(n),
    size: new Float64Array(n).fill(8),
    traceback: Uint32Array.from({ length: n }, (_, i) => i),
  }
  let started = performance.now()
  for (let i = 0; i < 10; i++) tm.Snapshot.fromColumns(columns, 1)
  const callMs = (performance.now() - started) / 10
  // The worker waits for each call to begin, then after a random part of the
  // call's duration makes the last frame id invalid.
  const worker = new Worker(
    `const { workerData: { shared, control, callMs } } = require('node:worker_threads')
     const a = new Uint32Array(shared), c = new Int32Array(control)
     for (let seen = 0; ; ) {
       Atomics.wait(c, 0, seen)
       seen = Atomics.load(c, 0)
       if (seen < 0) break
       const until = performance.now() + Math.random() * callMs
       while (performance.now() < until);
       Atomics.store(a, a.length - 1, 1000000)
     }`,
    { eval: true, workerData: { shared, control: control.buffer, callMs } },
  )
  const outcomes = new Map<string, number>()
  try {
    await new Promise((go) => worker.once('online', go))
    for (let k = 1; k <= 200; k++) {
      Atomics.store(seqFrames, n - 1, 0)
      Atomics.store(control, 0, k)
      Atomics.notify(control, 0)
      let outcome = 'snapshot'
      try {
        const s = tm.Snapshot.fromColumns(columns, 1)
        // A snapshot that was built must be whole and consistent.
        if (s.traces.length !== n || s.statistics('lineno').length !== 1) outcome = 'inconsistent snapshot'
      } catch (e) {
        outcome = `${(e as Error).constructor.name}: ${(e as Error).message.replace(/\d+/g, 'N')}`
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
    }
  } finally {
    Atomics.store(control, 0, -1)
    Atomics.notify(control, 0)
    await worker.terminate()
  }
  t.log(Object.fromEntries(outcomes))
  for (const outcome of outcomes.keys()) {
    t.true(
      outcome === 'snapshot' || outcome === 'RangeError: sequence frame[N] is N, but only N exist',
      `unexpected outcome: ${outcome}`,
    )
  }
})

test('unknown option keys are rejected, with the right name suggested', (t) => {
  t.throws(() => tm.start(1, { interval: 1024 } as never), {
    instanceOf: TypeError,
    message: /unknown option 'interval'.*did you mean 'samplingInterval'\?/,
  })
  t.throws(() => tm.start(1, { mod: 'exact' } as never), { message: /unknown option 'mod'.*did you mean 'mode'\?/ })
  t.throws(() => tm.start(1, { worker: true } as never), { message: /did you mean 'workers'\?/ })
  t.throws(() => tm.start(1, { bogusThing: 1 } as never), { message: /unknown option 'bogusThing' .*known options: mode, samplingInterval/ })
  t.false(tm.isTracing(), 'nothing started')
  const tb = new tm.Traceback([['a.js', 1]])
  t.throws(() => tb.format(null, false, { getLine: () => 'x' } as never), { message: /unknown option 'getLine'.*did you mean 'getline'\?/ })
  t.deepEqual(tb.format(null, false, { getline: () => 'x' }), ['  File "a.js", line 1', '    x'])
  const columns = {
    strings: [],
    frames: new Uint32Array(0),
    seqEnds: new Uint32Array(0),
    seqFrames: new Uint32Array(0),
    tracebacks: new Uint32Array(0),
    domain: new Uint32Array(0),
    size: new Float64Array(0),
    traceback: new Uint32Array(0),
  }
  t.is(tm.Snapshot.fromColumns(columns, 1).traces.length, 0)
  t.throws(() => tm.Snapshot.fromColumns({ ...columns, weights: new Float64Array(0) } as never, 1), {
    message: /unknown column 'weights'.*did you mean 'weight'\?/,
  })
})

test('JavaScript-facing messages name JavaScript types; CPython-defined ones keep CPython text', (t) => {
  t.throws(() => tm.start(3n as never), { instanceOf: TypeError, message: 'nframe must be an integer, not bigint' })
  t.throws(() => tm.start(1.5), { instanceOf: TypeError, message: 'nframe must be an integer, got 1.5' })
  t.throws(() => tm.start(1, null as never), { instanceOf: TypeError, message: 'options must be an object, not null' })
  t.throws(() => tm.track(2 ** 31, null as never, 1), { message: 'address must be a safe integer or a bigint, not null' })
  t.throws(() => new tm.Filter(true, 5 as never), { instanceOf: TypeError, message: 'filenamePattern must be a string, not number' })
  t.throws(() => new tm.DomainFilter(true, 5n as never), { message: 'domain must be a number, not bigint' })
  t.throws(() => new tm.Snapshot([[0, 5n, [['a.js', 1]], 1]] as never, 1), { message: 'traces[0]: size must be a number, not bigint' })
  t.throws(() => new tm.Snapshot(null as never, 1), { message: 'traces must be an iterable of raw traces, not null' })
  t.throws(() => new tm.Snapshot([[0, 1, 'a.js', 1]] as never, 1), { message: 'traces[0]: frames must be an array of frames, not string' })
  const s = new tm.Snapshot([], 1)
  t.throws(() => s.compareTo({} as never, 'lineno'), { message: 'oldSnapshot must be a Snapshot, not Object' })
  t.throws(() => s.filterTraces([5] as never), { message: 'filters[0] must be a Filter or a DomainFilter, not number' })
  // CPython's own message, checked against CPython by the oracle tests.
  t.throws(() => s.filterTraces(null as never), { message: 'filters must be a list of filters, not NoneType' })
})
