/**
 * The V8 importers against files written at test time by real Node
 * processes (this Node and each binary in TRACEMALLOC_TEST_NODES): a known
 * retained set shows up where it was allocated; deep trees; progress and
 * async imports that leave the event loop running; hostile files.
 */
import test from 'ava'
import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

import { Snapshot } from '../index'

const fixture = resolve(__dirname, 'fixtures/import/retain.js')
const nodes = [process.execPath, ...(process.env.TRACEMALLOC_TEST_NODES ?? '').split(':').filter(Boolean)]

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tm-import-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Child processes at once: more would only slow each other down on a small machine. */
const MAX_CHILDREN = 2
let running = 0
const waiting: (() => void)[] = []

/** Runs `node args` (in turn with the other children) and returns its stdout. */
async function run(node: string, args: string[]): Promise<string> {
  if (running >= MAX_CHILDREN) await new Promise<void>((go) => waiting.push(go))
  running++
  try {
    return await new Promise((done, fail) => {
      execFile(node, args, { timeout: 180_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (err) fail(new Error(`${node} ${args.join(' ')}: ${err.message}\n${stderr}`))
        else done(stdout)
      })
    })
  } finally {
    running--
    waiting.shift()?.()
  }
}

/** 1-based line and V8 start column of `function name(` in the fixture. */
function declared(fn: string): [number, number] {
  const lines = readFileSync(fixture, 'utf8').split('\n')
  const i = lines.findIndex((l) => l.includes(`function ${fn}(`))
  return [i + 1, lines[i]!.indexOf(`function ${fn}(`) + `function ${fn}`.length + 1]
}

/** What the snapshot file says, read with JSON.parse as an independent oracle. */
function oracle(file: string): { totalSize: number; retainedCount: number; retainedSize: number; traced: boolean } {
  const s = JSON.parse(readFileSync(file, 'utf8'))
  const meta = s.snapshot.meta
  const width = meta.node_fields.length
  const [type, name, size, trace] = ['type', 'name', 'self_size', 'trace_node_id'].map((f) => meta.node_fields.indexOf(f))
  const objectType = meta.node_types[0].indexOf('object')
  let totalSize = 0
  let retainedCount = 0
  let retainedSize = 0
  let traced = false
  for (let i = 0; i < s.nodes.length; i += width) {
    totalSize += s.nodes[i + size]
    if (trace! >= 0 && s.nodes[i + trace!] !== 0) traced = true
    if (s.nodes[i + type] === objectType && s.strings[s.nodes[i + name]] === 'Retained') {
      retainedCount++
      retainedSize += s.nodes[i + size]
    }
  }
  return { totalSize, retainedCount, retainedSize, traced }
}

/** True when the most recent frame of `stat` is function `fn` of the fixture. */
const atFixture = (stat: { traceback: { at(i: number): { filename: string; functionName: string | null } } }, fn: string) =>
  stat.traceback.at(0).filename === fixture && stat.traceback.at(0).functionName === fn

const sum = (snap: Snapshot) => snap.statistics('filename').reduce((a, s) => a + s.size, 0)

for (const node of nodes) {
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()

  test(`${version}: .heapsnapshot without allocation stacks: the retained set under its constructor`, async (t) => {
    const dir = tempDir(t)
    const file = join(dir, 'plain.heapsnapshot')
    const { n, bufferBytes } = JSON.parse(await run(node, [fixture, file, 'plain']))
    const want = oracle(file)
    t.is(want.retainedCount, n)
    const snap = Snapshot.fromHeapSnapshot(file)
    t.like(snap.captureInfo, { mode: 'exact', origin: 'heapsnapshot', samplingInterval: null })
    t.is(snap.extraMeta.allocationStacks, false)
    t.is(snap.tracebackLimit, 1)
    const byKey = new Map(snap.statistics('lineno').map((s) => [String(s.traceback.at(0)), s]))
    const retained = byKey.get('<heap object>:Retained')
    t.truthy(retained, [...byKey.keys()].slice(0, 20).join(', '))
    t.is(retained!.count, n)
    t.is(retained!.size, want.retainedSize)
    t.regex(String(retained), /^<heap object>:Retained: size=\d+(\.\d)? KiB, count=20000, average=\d+ B$/)
    // The ArrayBuffer carries its backing store.
    const buffers = byKey.get('<heap object>:ArrayBuffer')!
    t.true(buffers.size >= bufferBytes, `ArrayBuffer ${buffers.size}`)
    // Every node is a trace: the sizes add up to the heap's.
    t.is(sum(snap), want.totalSize)
    t.deepEqual(
      snap.statistics('function').find((s) => s.traceback.at(0).functionName === 'Retained')?.count,
      n,
      "the 'function' key reads the same",
    )
    t.true(snap.statistics('filename').some((s) => String(s.traceback.at(0)) === '<heap string>:0'))
  })

  test(`${version}: .heapsnapshot with allocation stacks: the retained set at its allocating function`, async (t) => {
    const dir = tempDir(t)
    const file = join(dir, 'tracked.heapsnapshot')
    const { n, bufferBytes } = JSON.parse(await run(node, [fixture, file, 'tracked']))
    const want = oracle(file)
    t.true(want.traced)
    const snap = await Snapshot.fromHeapSnapshotAsync(pathToFileURL(file))
    t.like(snap.captureInfo, { mode: 'exact', origin: 'heapsnapshot' })
    t.is(snap.extraMeta.allocationStacks, true)
    t.true(snap.tracebackLimit >= 2)
    // Only the fixture's frames (the heap also holds the closures, named alike).
    const fns = new Map(
      snap
        .statistics('function')
        .filter((s) => s.traceback.at(0).filename === fixture)
        .map((s) => [s.traceback.at(0).functionName, s]),
    )
    const retain = fns.get('retainObjects')!
    const perObject = want.retainedSize / n
    // N objects and the array that holds them (16 + 8N bytes).
    t.true(retain.count >= n + 1 && retain.count <= n + 20, `count ${retain.count}`)
    t.true(retain.size >= want.retainedSize + 8 * n + 16 && retain.size <= want.retainedSize + 8 * n + 4096, `size ${retain.size}`)
    t.is(retain.traceback.at(0).filename, fixture)
    const line = snap.statistics('lineno').find((s) => atFixture(s, 'retainObjects'))!
    t.deepEqual([line.traceback.at(0).lineno, line.traceback.at(0).column], declared('retainObjects'))
    const buffer = fns.get('makeBuffer')!
    t.true(buffer.size >= bufferBytes && buffer.size < bufferBytes + 16 * 1024, `makeBuffer ${buffer.size}`)
    // Objects from before tracking started keep their constructor.
    t.true(snap.statistics('filename').some((s) => s.traceback.at(0).filename === '<heap object>'))
    t.is(sum(snap), want.totalSize)
    t.true(perObject >= 16 && perObject <= 256)
  })

  test(`${version}: .heapprofile from --heap-prof: the retained set at its function, weights inferred`, async (t) => {
    const dir = tempDir(t)
    const snapFile = join(dir, 'plain.heapsnapshot')
    // Interval 1: every allocation is a sample, each standing for one object.
    const out = await run(node, ['--heap-prof', '--heap-prof-interval=1', `--heap-prof-dir=${dir}`, fixture, snapFile, 'plain'])
    const { n } = JSON.parse(out)
    const profile = join(dir, readdirSync(dir).find((f) => f.endsWith('.heapprofile'))!)
    const perObject = oracle(snapFile).retainedSize / n
    const progress: [number, number][] = []
    const snap = Snapshot.fromHeapProfile(profile, { onProgress: (d, total) => progress.push([d, total]) })
    t.deepEqual(progress.at(-1), [statSync(profile).size, statSync(profile).size])
    t.like(snap.captureInfo, { mode: 'sampled', origin: 'heapprofile' })
    t.true(snap.captureInfo!.samplingInterval! <= perObject, `inferred ${snap.captureInfo!.samplingInterval}`)
    t.is(snap.extraMeta.samplingIntervalInferred, true)
    const retain = snap.statistics('function').find((s) => atFixture(s, 'retainObjects'))!
    // N objects (the first few larger, before V8 shrinks the class's
    // instances), the array holding them, and a few internal objects.
    t.true(retain.count >= n && retain.count <= n + 30, `count ${retain.count}`)
    const least = n * perObject + 8 * n + 16
    t.true(retain.size >= least && retain.size <= least + 4096, `size ${retain.size} vs ${least}`)
    t.is(retain.traceback.at(0).filename, fixture)
    const line = snap.statistics('lineno').find((s) => atFixture(s, 'retainObjects'))!
    t.deepEqual([line.traceback.at(0).lineno, line.traceback.at(0).column], declared('retainObjects'))
    // Stacks run from the function to Node's module loader.
    const tb = snap.statistics('traceback').find((s) => s.traceback.at(-1).functionName === 'retainObjects')!
    t.true(tb.traceback.length >= 2)
    t.is(snap.tracebackLimit, Math.max(...snap.traces.slice().map((tr) => tr.traceback.totalNframe ?? 0)))
  })

  test(`${version}: .heapprofile at 32 KiB: the interval is inferred, byte estimates hold`, async (t) => {
    const dir = tempDir(t)
    await run(node, ['--heap-prof', '--heap-prof-interval=32768', `--heap-prof-dir=${dir}`, fixture, join(dir, 'x.heapsnapshot'), 'plain'])
    const profile = join(dir, readdirSync(dir).find((f) => f.endsWith('.heapprofile'))!)
    const snap = await Snapshot.fromHeapProfileAsync(profile)
    t.is(snap.captureInfo!.samplingInterval, 32768)
    const given = Snapshot.fromHeapProfile(profile, { samplingInterval: 32768 })
    t.is(given.extraMeta.samplingIntervalInferred, undefined)
    t.is(sum(given), sum(snap))
    // The retained set is 20,000 x ~40 B + 160 KB: about 29 samples at 32 KiB, so one standard error is
    // 1/sqrt(29) = 19%; within four of them (a run read 0.47x, 2.8 of them low).
    const retain = snap.statistics('function').find((s) => atFixture(s, 'retainObjects'))
    t.truthy(retain)
    const bound = 4 / Math.sqrt(960_000 / 32768)
    t.true(Math.abs(retain!.size / 960_000 - 1) < bound, `size ${retain!.size}`)
  })
}

/** A `.heapprofile` whose tree is a chain `depth` nodes deep under the root, sampled at its leaf and middle. */
function deepProfile(depth: number): string {
  const parts: string[] = []
  for (let id = 1; id <= depth + 1; id++) {
    parts.push(`{"callFrame":{"functionName":"f${id}","scriptId":"1","url":"file:///deep.js","lineNumber":${id},"columnNumber":0},"selfSize":0,"id":${id},"children":[`)
  }
  parts.push(']}'.repeat(depth + 1))
  parts.push(`,"samples":[{"size":64,"nodeId":${depth + 1},"ordinal":1},{"size":64,"nodeId":${depth / 2},"ordinal":2}]}`)
  return '{"head":' + parts.join('')
}

test('a .heapprofile 100,000 deep imports, sync and async', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'deep.heapprofile')
  writeFileSync(file, deepProfile(100_000))
  for (const snap of [Snapshot.fromHeapProfile(file, { samplingInterval: 1 }), await Snapshot.fromHeapProfileAsync(file)]) {
    t.is(snap.tracebackLimit, 65535)
    const deepest = snap.traces.at(0)
    t.is(deepest.traceback.totalNframe, 65535, 'the depth saturates, as CPython and live capture do')
    t.is(deepest.traceback.length, 65535)
    t.is(String(deepest.traceback.at(-1)), '/deep.js:100002:1', 'the most recent frame')
    t.is(snap.traces.at(1).traceback.totalNframe, 49_999)
  }
})

/** A synthetic `.heapsnapshot`: `count` objects named Obj, each allocated in a chain of `depth` frames. */
function syntheticSnapshot(count: number, depth: number): string {
  const meta = {
    node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id'],
    node_types: [['hidden', 'object', 'native'], 'string', 'number', 'number', 'number', 'number'],
    edge_fields: ['type', 'name_or_index', 'to_node'],
    edge_types: [['property', 'element'], 'string_or_number', 'node'],
    trace_function_info_fields: ['function_id', 'name', 'script_name', 'script_id', 'line', 'column'],
    trace_node_fields: ['id', 'function_info_index', 'count', 'size', 'children'],
  }
  const out: string[] = [`{"snapshot":${JSON.stringify({ meta, node_count: count, edge_count: 0, trace_function_count: 1 })},"nodes":[`]
  for (let i = 0; i < count; i++) out.push(`${i ? ',' : ''}1,0,${2 * i + 1},32,0,${depth + 1}`)
  out.push('],"edges":[],"trace_function_infos":[0,1,2,1,3,5],"trace_tree":[1,0,0,0,[')
  for (let id = 2; id <= depth + 1; id++) out.push(`${id},0,0,0,[`)
  out.push(']'.repeat(depth), ']]', ',"strings":["Obj","deep","file:///x.js"]}')
  return out.join('')
}

test('a .heapsnapshot with a trace tree 100,000 deep imports', (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'deep.heapsnapshot')
  writeFileSync(file, syntheticSnapshot(3, 100_000))
  const snap = Snapshot.fromHeapSnapshot(file)
  t.is(snap.traces.length, 3)
  // The depth saturates at 65535, as CPython's total_nframe and live capture do.
  t.is(snap.traces.at(0).traceback.totalNframe, 65535)
  t.is(snap.tracebackLimit, 65535)
  t.is(String(snap.statistics('lineno')[0]), '/x.js:3:5: size=96 B, count=3, average=32 B')
})

// Serial: a sync import in a concurrent test would hold the event loop too.
test.serial('async imports leave the event loop running; sync imports block it', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'big.heapsnapshot')
  writeFileSync(file, syntheticSnapshot(1_500_000, 3))
  const size = statSync(file).size
  const during = async (work: () => Promise<unknown> | unknown): Promise<number> => {
    let ticks = 0
    const timer = setInterval(() => ticks++, 1)
    try {
      await work()
    } finally {
      clearInterval(timer)
    }
    return ticks
  }
  const progress: [number, number][] = []
  let snap: Snapshot | undefined
  const asyncTicks = await during(async () => {
    snap = await Snapshot.fromHeapSnapshotAsync(file, { onProgress: (d, total) => progress.push([d, total]) })
  })
  const syncTicks = await during(() => Snapshot.fromHeapSnapshot(file))
  t.is(syncTicks, 0, 'a sync import holds the thread')
  t.true(asyncTicks >= 3, `timer ticks during the async import: ${asyncTicks}`)
  t.is(snap!.traces.length, 1_500_000)
  t.deepEqual(progress.at(-1), [size, size])
  t.true(progress.length >= 2, `${progress.length} progress reports`)
  t.true(progress.every(([d, total], i) => total === size && d <= size && (i === 0 || d > progress[i - 1]![0])))
})

test('an exception from onProgress stops a sync import and rejects an async one', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'x.heapsnapshot')
  writeFileSync(file, syntheticSnapshot(10, 2))
  const boom = new Error('boom')
  t.is(t.throws(() => Snapshot.fromHeapSnapshot(file, { onProgress: () => { throw boom } })), boom)
  await t.throwsAsync(Snapshot.fromHeapSnapshotAsync(file, { onProgress: () => { throw boom } }), { is: boom })
})

test('hostile and wrong files give errors naming the file and where', async (t) => {
  const dir = tempDir(t)
  const good = syntheticSnapshot(1000, 3)
  const write = (name: string, data: string | Buffer) => {
    const f = join(dir, name)
    writeFileSync(f, data)
    return f
  }
  const cases: [string, (f: string) => unknown, RegExp][] = [
    [write('truncated.heapsnapshot', good.slice(0, good.length >> 1)), Snapshot.fromHeapSnapshot, /truncated input: it ends inside "nodes" at byte \d+/],
    [write('flipped.heapsnapshot', good.replace('1,0,1,32', '1,0,1,3x')), Snapshot.fromHeapSnapshot, /expected ',' or '\]', found 'x' at byte \d+/],
    [write('absurd.heapsnapshot', good.replace('"node_count":1000', '"node_count":1e12')), Snapshot.fromHeapSnapshot, /snapshot\.node_count is 1000000000000, over the limit/],
    [write('lying.heapsnapshot', good.replace('"node_count":1000', '"node_count":999')), Snapshot.fromHeapSnapshot, /nodes holds more than snapshot\.node_count = 999 nodes at byte \d+/],
    [write('profile.heapsnapshot', deepProfile(4)), Snapshot.fromHeapSnapshot, /"nodes" comes before "snapshot"|a section comes before "snapshot"|section "snapshot" is missing|is missing/],
    [write('png.heapsnapshot', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a])), Snapshot.fromHeapSnapshot, /expected '\{', found byte 0x89 at byte 0/],
    [write('snapshot.heapprofile', good), Snapshot.fromHeapProfile, /heap profile: .*(head|node)/],
    [write('truncated.heapprofile', deepProfile(10).slice(0, 300)), Snapshot.fromHeapProfile, /truncated input: it ends inside .* at byte 300$/],
    [write('flipped.heapprofile', deepProfile(10).replace('"lineNumber":3', '"lineNumber":"3"')), Snapshot.fromHeapProfile, /callFrame\.lineNumber must be a number, found a string at byte \d+/],
    [write('absurd.heapprofile', deepProfile(10).replace('"size":64', '"size":1e300')), Snapshot.fromHeapProfile, /a sample's size must be an integer in \[0, 9007199254740991\], got 1e300 at byte \d+/],
    [write('twice.heapprofile', deepProfile(10).replace('"id":3,', '"id":2,')), Snapshot.fromHeapProfile, /heap profile: node id 2 appears twice/],
    [join(dir, 'missing.heapsnapshot'), Snapshot.fromHeapSnapshot, /ENOENT|No such file/],
    [dir, Snapshot.fromHeapProfile, /is a directory/],
  ]
  for (const [file, importer, message] of cases) {
    const e = t.throws(() => importer(file), { instanceOf: Error }, file)
    t.true(e!.message.startsWith(`${file}: `), e!.message)
    t.regex(e!.message, message)
    const name = importer === Snapshot.fromHeapSnapshot ? 'fromHeapSnapshotAsync' : 'fromHeapProfileAsync'
    const ea = await t.throwsAsync((Snapshot as any)[name](file) as Promise<Snapshot>)
    t.is(ea!.message, e!.message, 'async gives the same error')
  }
})

test('arguments are checked with JavaScript type names', (t) => {
  t.throws(() => Snapshot.fromHeapSnapshot(42 as any), { instanceOf: TypeError, message: 'path must be a string or a URL, not number' })
  t.throws(() => Snapshot.fromHeapSnapshot('x', { onProgress: 1 } as any), {
    instanceOf: TypeError,
    message: 'options.onProgress must be a function, not number',
  })
  t.throws(() => Snapshot.fromHeapProfile('x', { samplingInterval: -1 }), {
    instanceOf: RangeError,
    message: 'options.samplingInterval must be a finite number > 0, got -1',
  })
})
