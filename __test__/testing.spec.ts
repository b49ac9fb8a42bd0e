/**
 * tracemalloc/testing's core in this process, against real V8: byte
 * limits, measure()'s figures against allocations of known size, GC without
 * --expose-gc, leak detection (linear growth against one-off and bounded
 * caches), allocsPerRun, overlapping measurements, failure reports with
 * their snapshot files, GitHub annotations, and baseline files written by
 * concurrent processes. Measuring tests are serial: a process has one heap.
 */
import test from 'ava'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'

import { Snapshot } from '../index'
import { checkBaseline, readBaselines, recordBaseline } from '../src/testing/baseline'
import { configure, resetSettings } from '../src/testing/config'
import { forceGc, gcRoute } from '../src/testing/gc'
import { allocsPerRun, ConcurrentMeasurementError, limitLeaks, limitMemory, limitRetained, measure, MemoryBudgetError, parseBytes } from '../src/testing/index'
import { isLeak, slope } from '../src/testing/leaks'
import { githubAnnotation } from '../src/testing/report'
import { isTracing } from '../src/tracemalloc'

const here = resolve(__dirname, 'fixtures', 'testing', 'workload.js')
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { keepArrays, garbageArrays, buildAndDrop, leakOneArray, cacheOnce, boundedCache, oneArray } = require(here) as Record<string, (n?: number) => number>
const scratch = mkdtempSync(join(tmpdir(), 'tracemalloc-testing-'))
test.before(() => configure({ reportDir: join(scratch, 'reports'), budgetsFile: join(scratch, 'none.json'), resultsFile: null, update: false }))
test.after.always(() => {
  resetSettings()
  rmSync(scratch, { recursive: true, force: true })
})

/** Line and V8 start column (the parameter list) of `function name(` in the workload file. */
function declared(fn: string): [number, number] {
  const lines = readFileSync(here, 'utf8').split('\n')
  const i = lines.findIndex((l) => l.includes(`function ${fn}(`))
  return [i + 1, lines[i]!.indexOf(`function ${fn}(`) + `function ${fn}`.length + 1]
}

// A JSArray header is 32 bytes and a FixedArray of 1,000 small integers 16 + 8,000: 8,048 bytes per array.
const ARRAY_BYTES = 8048

test('byte limits: decimal and binary units, numbers, and clear errors for anything else', (t) => {
  t.is(parseBytes('24 MB'), 24_000_000)
  t.is(parseBytes('1.5 MiB'), 1_572_864)
  t.is(parseBytes('512 kB'), 512_000)
  t.is(parseBytes('512KB'), 512_000)
  t.is(parseBytes('2 KiB'), 2048)
  t.is(parseBytes(' 3 gb '), 3e9)
  t.is(parseBytes('1 TiB'), 2 ** 40)
  t.is(parseBytes('10'), 10)
  t.is(parseBytes('.5 kB'), 500)
  t.is(parseBytes('7 bytes'), 7)
  t.is(parseBytes(4096), 4096)
  t.is(parseBytes(0), 0)
  for (const bad of ['12 parsecs', 'MB', '-1 MB', '1,5 MB', '', '1 MB 2', '1e3 B', '0x10']) {
    const e = t.throws(() => parseBytes(bad), { instanceOf: RangeError })
    t.true(e!.message.includes(JSON.stringify(bad)), e!.message)
    t.regex(e!.message, /powers of 1000.*powers of 1024/)
  }
  for (const bad of [-1, Number.NaN, Infinity]) t.throws(() => parseBytes(bad), { instanceOf: RangeError })
  for (const bad of [null, undefined, {}, [1], true]) t.throws(() => parseBytes(bad), { instanceOf: TypeError, message: /limit must be/ })
  t.throws(() => parseBytes('99999999999 TB'), { message: /too large/ })
})

test.serial('GC is forced without --expose-gc: a dropped object behind a WeakRef is collected', async (t) => {
  t.is(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'this process has no --expose-gc')
  const ref = (() => new WeakRef({ payload: new Array(1000).fill(1) }))()
  await nextTurn()
  await forceGc()
  t.is(ref.deref(), undefined)
  t.is(gcRoute(), 'inspector')
})

for (const mode of ['sampled', 'exact'] as const) {
  test.serial(`${mode}: measure() against known allocations: allocated, retained with its site, the result, and tracing left off`, async (t) => {
    t.false(isTracing())
    const m = await measure(() => {
      garbageArrays!(500)
      keepArrays!(100)
      return 'done'
    }, { mode })
    t.is(m.result, 'done')
    t.is(m.mode, mode)
    t.false(isTracing(), 'tracing started for the measurement is stopped after it')
    // allocated: V8's accounting, exact but for the loop's own small objects.
    const allocated = 600 * ARRAY_BYTES
    // On Node 24 under load, V8's GC events can miss a scavenge, and the heap's accounting then reads low
    // (97.5% and 93.6% seen in sampled mode, where no tracker total backs it up; docs/testing.md gives the band).
    t.true(m.allocated >= allocated * 0.9 && m.allocated < allocated * 1.05, `allocated ${m.allocated} vs ${allocated}`)
    const retained = 100 * ARRAY_BYTES
    const [line, col] = declared('keepArrays')
    const top = m.sites.retained[0]!
    t.like(top, { file: here, line, column: col, function: 'keepArrays' })
    if (mode === 'sampled') {
      // Objects of 8 KB are far above the 512 B interval: sampled exactly. The total also holds
      // the last garbage array (kept by a variable) and what the test runner did meanwhile.
      t.true(Math.abs(m.retained - retained) / retained < 0.1, `retained ${m.retained} vs ${retained}`)
      t.true(Math.abs(top.size - retained) / retained < 0.05, `site ${top.size}`)
      t.is(m.sites.allocated, null, 'sampled mode keeps no sites of collected objects')
    } else {
      // Exact mode can lose live objects today (V8's allocation tracker; issue 7): never more than the truth.
      // (The 5% above it is the array that keeps them growing, and whatever else stayed live.)
      t.true(m.retained <= retained * 1.05 && m.retained > 0, `retained ${m.retained} vs ${retained}`)
      // Allocation sites, collected objects included: V8's trace tree totals.
      const [gLine, gCol] = declared('garbageArrays')
      const garbage = m.sites.allocated!.find((s) => s.function === 'garbageArrays')
      t.like(garbage, { file: here, line: gLine, column: gCol })
      // The 500 arrays, and on Node 24 a few small objects V8 makes for the function itself (503 seen).
      t.true(garbage!.count >= 500 && garbage!.count <= 505, `garbageArrays count ${garbage!.count}`)
      t.true(Math.abs(garbage!.size - 500 * ARRAY_BYTES) / (500 * ARRAY_BYTES) < 0.01, `garbageArrays allocated ${garbage!.size}`)
      t.is(m.sites.allocated![0]!.function, 'garbageArrays')
    }
    t.true(m.peak >= retained, `peak ${m.peak} >= retained`)
    t.true(m.after.traces.length > 0)
  })
}

test.serial('measure(): an async function, and a temporary structure counts in peak but not in retained', async (t) => {
  const m = await measure(async () => {
    await nextTurn()
    return buildAndDrop!(2500)
  })
  t.is(m.result, 2500)
  const built = 2500 * ARRAY_BYTES
  t.true(m.peak >= built * 0.9, `peak ${m.peak} vs ${built} built and dropped`)
  t.true(m.allocated >= built, `allocated ${m.allocated}`)
  t.true(m.retained < 100_000, `retained ${m.retained}`)
})

test.serial('measure() rethrows what fn throws, and leaves no measurement open', async (t) => {
  await t.throwsAsync(() => measure(() => {
    throw new Error('boom')
  }), { message: 'boom' })
  const m = await measure(() => 1)
  t.is(m.result, 1)
  t.false(isTracing())
})

test.serial('overlapping measurements are refused, both of them, naming each other', async (t) => {
  const first = measure(async () => {
    await new Promise((r) => setTimeout(r, 50))
  }, { name: 'first' })
  const second = measure(() => 1, { name: 'second' })
  const e2 = await t.throwsAsync(second, { instanceOf: ConcurrentMeasurementError })
  t.regex(e2!.message, /cannot measure "second": "first" is being measured at the same time/)
  const e1 = await t.throwsAsync(first, { instanceOf: ConcurrentMeasurementError })
  t.regex(e1!.message, /measurement of "first" is void: "second" started while it ran/)
  t.is((await measure(() => 2)).result, 2, 'measuring works again afterwards')
})

/**
 * These tests run under tsx, whose loader cleans its disk cache on a timer
 * (expireDiskCache): allocations that land in any measured window. A user's
 * suite with background work of its own leaves it out the same way.
 */
const LOADER = ['*/node_modules/tsx/*']

for (const mode of ['sampled', 'exact'] as const) {
  test.serial(`${mode}: limitLeaks catches linear growth per site, and passes a one-off cache and a bounded one`, async (t) => {
    const e = await t.throwsAsync(limitLeaks(0, leakOneArray!, { mode, iterations: 40, name: 'leaky', ignore: LOADER }), { instanceOf: MemoryBudgetError })
    const [line, col] = declared('leakOneArray')
    t.true(e!.message.includes(`${here}:${line}:${col} leakOneArray`), e!.message)
    t.regex(e!.message, /"leaky" leaks: a site grows by \d+(\.\d+)? kB, over its limit of 0 B\/run/)
    const slopeSeen = e!.measured
    t.true(slopeSeen > ARRAY_BYTES * 0.5 && slopeSeen < ARRAY_BYTES * 1.1, `growth per run ${slopeSeen} vs ${ARRAY_BYTES}`)
    const r = await limitLeaks(0, cacheOnce!, { mode, iterations: 40, warmup: 0, ignore: LOADER })
    t.deepEqual(r.growing.filter((s) => s.function === 'cacheOnce' && isLeak(s, 0, r.runs.length - 1)), [])
    // Each exact-mode point is a heap snapshot: the rest runs in sampled mode only.
    if (mode === 'exact') return
    await limitLeaks(0, boundedCache!, { mode, iterations: 60, ignore: LOADER })
    // Growth under the limit passes.
    await limitLeaks('20 kB', leakOneArray!, { mode, iterations: 20, ignore: LOADER })
  })
}

test('least-squares slope and the linear-growth rule', (t) => {
  t.is(slope([0, 1, 2, 3], [1, 3, 5, 7]), 2)
  t.is(slope([0, 1], [5, 5]), 0)
  const site = { file: 'a.js', line: 1, column: 1, function: 'f', size: 0, count: 0, sizes: [], grewIn: 4, perIteration: 10, latePerIteration: 10 }
  t.true(isLeak(site, 5, 4))
  t.false(isLeak({ ...site, latePerIteration: 0 }, 5, 4), 'stopped growing: a cache that filled')
  t.false(isLeak({ ...site, grewIn: 1 }, 5, 4), 'grew once: a one-off')
  t.false(isLeak(site, 10, 4), 'within the limit')
})

test.serial('allocsPerRun: bytes allocated per run', async (t) => {
  const r = await allocsPerRun(oneArray!, 200, { ignore: LOADER })
  t.true(r.bytes >= ARRAY_BYTES && r.bytes < ARRAY_BYTES * 1.05, `bytes per run ${r.bytes}`)
  t.is(r.objects, null, 'object counts need exact mode')
  const exact = await allocsPerRun(oneArray!, 100, { mode: 'exact', ignore: LOADER })
  t.true(exact.bytes >= ARRAY_BYTES && exact.bytes < ARRAY_BYTES * 1.05, `exact bytes per run ${exact.bytes}`)
  // oneArray's own objects per run (a JSArray and its elements); the total per run also holds whatever
  // else the process allocated meanwhile (5.2 per run seen once on a loaded machine).
  const own = exact.measurement.sites.allocated!.find((s) => s.function === 'oneArray')
  t.true(own !== undefined && own.count / 100 >= 1 && own.count / 100 <= 2, `oneArray objects per run ${own && own.count / 100}`)
  t.true(exact.objects! >= own!.count / 100 && exact.objects! < 10, `objects per run ${exact.objects}`)
  await t.throwsAsync(allocsPerRun(() => 1, 0), { message: /runs must be a positive integer/ })
})

test.serial('a failing budget: the limit, the measured value, the top site, and the snapshots saved to the files it names', async (t) => {
  const e = await t.throwsAsync(limitRetained('200 kB', () => keepArrays!(50), { name: 'keeps 400 kB' }), { instanceOf: MemoryBudgetError })
  const [line, col] = declared('keepArrays')
  t.regex(e!.message, /^tracemalloc: "keeps 400 kB" retained 4[01]\d(\.\d)? kB, over its limit of 200 kB \(200,000 B\) \(sampled mode at 512 B, an estimate\)/)
  t.true(e!.message.includes(`${here}:${line}:${col} keepArrays`))
  // 50 arrays of 8,048 bytes (V8 samples each array's header and elements
  // as one allocation, so each counts once and exactly), and the growth of
  // the array that keeps them. Now and then a small object of the site is
  // sampled too (exact mode sees a 176-byte one and a few 16 to 48-byte
  // ones): one sample cannot tell its size, which is then guessed at the
  // smallest that fits (a 176-byte object stands for 3 and reports 528 B,
  // which 16 B x 33 explains too), adding up to 33 objects per such sample
  // at 512 B (docs/capture-accuracy.md).
  const objects = Number(/keepArrays\s+4[01]\d(\.\d)? kB\s+(\d+) objects/.exec(e!.message)?.[2])
  t.true(objects >= 50 && objects <= 50 + 10 + 2 * 33, `keepArrays: ${objects} objects\n${e!.message}`)
  t.is(e!.files.length, 2)
  t.true(e!.files.every((f) => f.endsWith('.tmsnap')), `native snapshot files: ${e!.files.join(', ')}`)
  const after = Snapshot.load(e!.files[1]!)
  t.like(after.captureInfo, { mode: 'sampled', samplingInterval: 512 })
  t.true([...after.traces].some((tr) => [...tr.traceback].some((f) => f.functionName === 'keepArrays')))
  const before = Snapshot.load(e!.files[0]!)
  t.true(after.compareTo(before, 'function').some((d) => [...d.traceback].some((f) => f.functionName === 'keepArrays') && d.sizeDiff > 0), 'the arrays kept are new since the snapshot before')
  const ok = await limitMemory('10 MB', () => keepArrays!(1))
  t.true(ok.peak < 10e6)
  await t.throwsAsync(limitMemory('ten megabytes', () => 1), { instanceOf: RangeError, message: /"ten megabytes"/ })
})

test('GitHub annotations: relative path, line, column, escaped title and message', (t) => {
  const site = { file: '/work/app/src/a,b:c.js', line: 12, column: 3, function: 'f', size: 1, count: 1 }
  const env = { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: '/work/app' }
  t.is(githubAnnotation(site, 'memory budget: x', 'line one\nline 100%', env), '::error file=src/a%2Cb%3Ac.js,line=12,col=3,title=memory budget%3A x::line one%0Aline 100%25')
  t.is(githubAnnotation(site, 't', 'm', {}), null, 'only on GitHub Actions')
  t.is(githubAnnotation({ ...site, file: 'node:internal/x' }, 't', 'm', env), null, 'no annotation on Node internals')
})

test('baselines: recorded, compared with tolerance and slack, other captures not compared, bad files named', (t) => {
  const file = join(scratch, 'baselines.json')
  const capture = { mode: 'sampled' as const, samplingInterval: 1024 }
  t.like(checkBaseline(file, 'k', 100_000, capture, { update: false, tolerance: 0.1 }), { status: 'none' })
  checkBaseline(file, 'k', 100_000, capture, { update: true, tolerance: 0.1 })
  // Slack: three standard errors of a sampled 100 kB at 1 KiB, 3 x sqrt(100,000 x 1,024) = 30,358 B.
  const allowed = 100_000 * 1.1 + 3 * Math.sqrt(100_000 * 1024)
  t.like(checkBaseline(file, 'k', 140_000, capture, { update: false, tolerance: 0.1 }), { status: 'within', allowed })
  t.like(checkBaseline(file, 'k', 141_000, capture, { update: false, tolerance: 0.1 }), { status: 'grew' })
  t.like(checkBaseline(file, 'k', 141_000, capture, { update: false, tolerance: 0.1, toleranceOverride: 0.5 }), { status: 'within' })
  // Exact mode has no sampling error: 4 kB of slack.
  checkBaseline(file, 'e', 100_000, { mode: 'exact', samplingInterval: null }, { update: true, tolerance: 0.1 })
  t.like(checkBaseline(file, 'e', 114_000, { mode: 'exact', samplingInterval: null }, { update: false, tolerance: 0.1 }), { status: 'within', allowed: 100_000 * 1.1 + 4096 })
  t.like(checkBaseline(file, 'e', 115_000, { mode: 'exact', samplingInterval: null }, { update: false, tolerance: 0.1 }), { status: 'grew' })
  t.like(checkBaseline(file, 'k', 1, { mode: 'exact', samplingInterval: null }, { update: false, tolerance: 0.1 }), { status: 'other-capture' })
  recordBaseline(file, 'k', { value: 1, mode: 'sampled', samplingInterval: 1024, tolerance: 0.3 })
  recordBaseline(file, 'k', { value: 2, mode: 'sampled', samplingInterval: 1024 })
  t.is(readBaselines(file).budgets.k!.tolerance, 0.3, 'a per-budget tolerance survives updates')
  writeFileSync(file, '{"version": 1, "budgets": {')
  t.throws(() => readBaselines(file), { message: new RegExp(`${file}: not valid JSON`) })
  writeFileSync(file, '{"version": 2, "budgets": {}}')
  t.throws(() => readBaselines(file), { message: /not a version 1 memory budgets file/ })
  writeFileSync(file, '{"version": 1, "budgets": {"x": {"value": "big", "mode": "sampled"}}}')
  t.throws(() => readBaselines(file), { message: /entry "x" has no numeric value/ })
})

test('baselines: four processes recording at once lose no entry and leave no lock', async (t) => {
  const file = join(scratch, 'concurrent.json')
  const script = `
    const { recordBaseline } = require(${JSON.stringify(resolve(__dirname, '..', 'src', 'testing', 'baseline.ts'))})
    for (let i = 0; i < 25; i++) recordBaseline(${JSON.stringify(file)}, 'p' + process.argv[1] + '-' + i, { value: i, mode: 'sampled', samplingInterval: 1024 })
  `
  await Promise.all(
    [0, 1, 2, 3].map(
      (p) =>
        new Promise<void>((done, fail) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '-e', script, String(p)], { stdio: 'inherit' })
          child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`writer ${p} exited ${code}`))))
        }),
    ),
  )
  const budgets = readBaselines(file).budgets
  t.is(Object.keys(budgets).length, 100)
  t.deepEqual(Object.keys(budgets), Object.keys(budgets).sort(), 'keys sorted, for readable diffs')
  t.throws(() => readFileSync(`${file}.lock`), { code: 'ENOENT' })
})
