/**
 * The native snapshot file format through the public API: round trips of
 * built and live snapshots (sampled with weights, and exact), metadata,
 * atomic replacement under SIGKILL, and hostile files (truncated,
 * bit-flipped, foreign, of an unknown version, with absurd counts), each
 * refused with an error naming the file and what is wrong.
 */
import test from 'ava'
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { crc32 } from 'node:zlib'

import * as tm from '../index'
import { Snapshot, type KeyType, type RawTrace } from '../index'

const KEYS: [KeyType, boolean][] = [
  ['filename', false],
  ['lineno', false],
  ['traceback', false],
  ['function', false],
  ['filename', true],
  ['lineno', true],
  ['function', true],
]

const dirs: string[] = []
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'tracemalloc-format-'))
  dirs.push(d)
  return d
}
test.after.always(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** Every statistic of every key type, spelled out (whole tracebacks). */
function digest(s: Snapshot): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {}
  for (const [key, cumulative] of KEYS) {
    out[`${key}${cumulative ? '/cumulative' : ''}`] = s
      .statistics(key, cumulative)
      .map((st) => [st.traceback.format(), st.size, st.count])
  }
  return out
}

/** Every trace, spelled out, in a canonical order (loading groups traces by traceback). */
function traces(s: Snapshot): string[] {
  return Array.from(s.traces, (t) =>
    JSON.stringify([t.domain, t.size, t.weight, t.traceback.totalNframe, t.traceback.format()]),
  ).sort()
}

/** Checks that `loaded` is `original` in every way the API shows. */
function same(t: import('ava').ExecutionContext, loaded: Snapshot, original: Snapshot): void {
  t.is(loaded.traces.length, original.traces.length)
  t.deepEqual(traces(loaded), traces(original))
  t.deepEqual(digest(loaded), digest(original))
  t.is(loaded.tracebackLimit, original.tracebackLimit)
  t.deepEqual(loaded.captureInfo, original.captureInfo)
  for (const [key, cumulative] of KEYS) {
    const diff = loaded.compareTo(original, key, cumulative)
    t.is(diff.length, original.statistics(key, cumulative).length)
    t.true(
      diff.every((d) => d.sizeDiff === 0 && d.countDiff === 0),
      `compareTo(original, '${key}'${cumulative ? ', cumulative' : ''}) finds no difference`,
    )
  }
}

const js: RawTrace[] = [
  [0, 100, [['/app/a.js', 10, 5, 'alloc'], ['/app/main.js', 1, 1, 'main']], 2],
  [0, 50, [['/app/a.js', 10, 30, 'other'], ['/app/main.js', 1, 1, 'main']], 7],
  [1, 25, [['/app/a.js', 10, 5, 'alloc'], ['/app/b\ud800.js', 3, 1, 'helper'], ['/app/main.js', 1, 1, 'main']], 3],
  [0, 2 ** 53 - 1, [['script.py', 4]], 1],
  [0, 100, [['/app/a.js', 10, 5, 'alloc'], ['/app/main.js', 1, 1, 'main']], 2],
]

test('dump/load, dumpAsync/loadAsync and toBuffer/fromBuffer round-trip a snapshot', async (t) => {
  const snap = new Snapshot(js, 3)
  const d = scratch()
  const path = join(d, 'a.tmsnap')
  snap.dump(path)
  same(t, Snapshot.load(path), snap)
  same(t, await Snapshot.loadAsync(path), snap)
  await snap.dumpAsync(join(d, 'b.tmsnap'))
  t.deepEqual(readFileSync(join(d, 'b.tmsnap')), readFileSync(path), 'the same bytes either way')
  const bytes = snap.toBuffer()
  t.true(Buffer.isBuffer(bytes))
  t.deepEqual(bytes, readFileSync(path))
  same(t, Snapshot.fromBuffer(bytes), snap)
  same(t, Snapshot.fromBuffer(new Uint8Array(bytes)), snap)
  // A file URL names the same file.
  same(t, Snapshot.load(pathToFileURL(path)), snap)
  // Loaded snapshots compare with one another too.
  t.true(Snapshot.load(path).compareTo(Snapshot.fromBuffer(bytes), 'lineno').every((x) => x.sizeDiff === 0))
})

test('an empty snapshot round-trips', (t) => {
  const snap = new Snapshot([], 1)
  same(t, Snapshot.fromBuffer(snap.toBuffer()), snap)
})

test('traces come back grouped by traceback, keeping their order inside a group', (t) => {
  const loaded = Snapshot.fromBuffer(new Snapshot(js, 3).toBuffer())
  const sizes = Array.from(loaded.traces, (tr) => tr.size)
  // The two traces of the first traceback come first, together; the rest follow their tracebacks.
  t.deepEqual(sizes, [100, 100, 50, 25, 2 ** 53 - 1])
})

test('metadata round-trips, unknown keys included', (t) => {
  const withInfo = Snapshot.wrap(new Snapshot(js, 3).native, 9, undefined, {
    mode: 'sampled',
    samplingInterval: 4096,
    nodeVersion: 'v99.0.0',
    pid: 1234,
    time: 1_700_000_000_123.5,
    origin: 'heapprofile',
  }, { fromTheFuture: { nested: [1, 'two'] } })
  const back = Snapshot.fromBuffer(withInfo.toBuffer())
  t.is(back.tracebackLimit, 9)
  t.deepEqual(back.captureInfo, withInfo.captureInfo)
  t.deepEqual(back.extraMeta, { fromTheFuture: { nested: [1, 'two'] } })
  // A changed tracebackLimit is what gets written, as in CPython.
  back.tracebackLimit = 4
  t.is(Snapshot.fromBuffer(back.toBuffer()).tracebackLimit, 4)
})

test('arguments are checked with TypeErrors', (t) => {
  const snap = new Snapshot(js, 3)
  t.throws(() => snap.dump(42 as never), { instanceOf: TypeError, message: 'path must be a string or a file URL, got number' })
  t.throws(() => Snapshot.load(''), { instanceOf: TypeError, message: 'path must not be empty' })
  t.throws(() => Snapshot.fromBuffer('abc' as never), {
    instanceOf: TypeError,
    message: 'bytes must be a Buffer or a Uint8Array, got string',
  })
})

test('writes are atomic: the target is replaced whole, the temporary file never left, the mode 0600', (t) => {
  const d = scratch()
  const path = join(d, 'snap.tmsnap')
  writeFileSync(path, 'an older file')
  const snap = new Snapshot(js, 3)
  snap.dump(path)
  t.deepEqual(readdirSync(d), ['snap.tmsnap'])
  t.is(statSync(path).mode & 0o777, 0o600)
  same(t, Snapshot.load(path), snap)
  // A failed write (the target is a non-empty directory) leaves nothing behind.
  const sub = join(d, 'sub')
  snap.dump(join(d, 'x.tmsnap'))
  rmSync(join(d, 'x.tmsnap'))
  mkdirSync(sub)
  writeFileSync(join(sub, 'f'), 'x')
  t.throws(() => snap.dump(sub), { message: new RegExp(`^cannot write ${sub}: `) })
  t.deepEqual(readdirSync(d).sort(), ['snap.tmsnap', 'sub'])
  t.throws(() => snap.dump(join(d, 'missing', 'x.tmsnap')), { message: /^cannot write .*missing\/x\.tmsnap: No such file or directory/ })
})

test('dumpAsync and loadAsync reject with the same errors', async (t) => {
  const d = scratch()
  const snap = new Snapshot(js, 3)
  await t.throwsAsync(snap.dumpAsync(join(d, 'missing', 'x.tmsnap')), { message: /^cannot write .*missing\/x\.tmsnap: / })
  await t.throwsAsync(Snapshot.loadAsync(join(d, 'nothing.tmsnap')), { message: /^cannot read .*nothing\.tmsnap: / })
  const bad = join(d, 'bad.tmsnap')
  writeFileSync(bad, 'definitely not a snapshot')
  await t.throwsAsync(Snapshot.loadAsync(bad), { message: `${bad}: not a tracemalloc snapshot file: the first 8 bytes are not the magic 89 54 4D 53 0D 0A 1A 0A` })
})

// ---------------------------------------------------------------- live snapshots

const keep: unknown[] = []
function bigArrays(n: number): void {
  for (let i = 0; i < n; i++) keep.push(new Array(50_000).fill(i))
}
function smallObjects(n: number): void {
  const list = []
  for (let i = 0; i < n; i++) list.push({ a: i, b: String(i) })
  keep.push(list)
}

test.serial('a live sampled snapshot (with weights) round-trips', async (t) => {
  tm.start(5, { samplingInterval: 4096 })
  try {
    bigArrays(5)
    smallObjects(100_000)
    const snap = tm.takeSnapshot()
    t.true(snap.traces.length > 100)
    t.true(Array.from(snap.traces).some((tr) => tr.weight > 1), 'sampled traces carry weights')
    t.like(snap.captureInfo, { mode: 'sampled', samplingInterval: 4096, pid: process.pid })
    const d = scratch()
    snap.dump(join(d, 'live.tmsnap'))
    same(t, Snapshot.load(join(d, 'live.tmsnap')), snap)
    same(t, await Snapshot.loadAsync(join(d, 'live.tmsnap')), snap)
    same(t, Snapshot.fromBuffer(snap.toBuffer()), snap)
    // A filtered snapshot of the same store keeps only what it uses: here,
    // the traces of the top line only.
    const top = snap.statistics('lineno')[0]!.traceback.at(0)!
    const filtered = snap.filterTraces([new tm.Filter(true, top.filename, top.lineno)])
    t.true(filtered.traces.length > 0 && filtered.traces.length < snap.traces.length)
    const back = Snapshot.fromBuffer(filtered.toBuffer())
    same(t, back, filtered)
    t.true(filtered.toBuffer().length < snap.toBuffer().length)
  } finally {
    tm.stop()
    keep.length = 0
  }
})

test.serial('a live exact snapshot round-trips', (t) => {
  tm.start(4, { mode: 'exact' })
  try {
    smallObjects(2000)
    bigArrays(2)
    const snap = tm.takeSnapshot()
    t.true(snap.traces.length > 1000)
    t.like(snap.captureInfo, { mode: 'exact', samplingInterval: null })
    t.true(Array.from(snap.traces).every((tr) => tr.weight === 1))
    const d = scratch()
    snap.dump(join(d, 'exact.tmsnap'))
    same(t, Snapshot.load(join(d, 'exact.tmsnap')), snap)
  } finally {
    tm.stop()
    keep.length = 0
  }
})

// ---------------------------------------------------------------- SIGKILL mid-dump

test('a dump killed with SIGKILL leaves the old file or the new one, whole', async (t) => {
  const fixtures = resolve(__dirname, 'fixtures/files')
  const { snapshotPair } = require(join(fixtures, 'snapshots.js'))
  const n = 300_000
  const [a, b] = snapshotPair(Snapshot, n) as [Snapshot, Snapshot]
  const want = [digest(a), digest(b)]
  const d = scratch()
  const path = join(d, 'snap.tmsnap')
  a.dump(path)
  let leftovers = 0
  let rounds = 0
  const seen = new Set<number>()
  for (; rounds < 40 && (leftovers < 3 || rounds < 8); rounds++) {
    const child = spawn(process.execPath, [join(fixtures, 'dump-loop.js'), path, String(n)], {
      cwd: resolve(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)))
    await new Promise<void>((ready) => child.stdout.on('data', (chunk) => String(chunk).includes('ready') && ready()))
    await new Promise((wait) => setTimeout(wait, 20 + Math.random() * 200))
    child.kill('SIGKILL')
    t.is(await exited, 'SIGKILL')
    const loaded = Snapshot.load(path)
    const which = want.findIndex((w) => JSON.stringify(w) === JSON.stringify(digest(loaded)))
    t.not(which, -1, `round ${rounds}: the file holds neither snapshot whole`)
    seen.add(which)
    // A kill between creating the temporary file and renaming it leaves the temporary behind.
    const temps = readdirSync(d).filter((f) => f !== 'snap.tmsnap')
    t.true(temps.every((f) => /^\.snap\.tmsnap\.\d+\.[0-9a-f]+\.tmp$/.test(f)), temps.join(', '))
    if (temps.length > 0) leftovers++
    for (const f of temps) rmSync(join(d, f))
  }
  t.true(leftovers >= 1, `at least one kill landed inside a write (${leftovers} of ${rounds})`)
  t.log(`${rounds} kills, ${leftovers} inside a write; snapshots seen: ${[...seen].join(', ')}`)
})

// ---------------------------------------------------------------- hostile files

const HEADER = 32
const ENTRY = 40
const SECTIONS: Record<number, string> = {
  1: 'meta',
  2: 'strings',
  3: 'frames',
  4: 'sequences',
  5: 'tracebacks',
  6: 'trace runs',
  7: 'trace sizes',
  8: 'trace weights',
}

interface Entry {
  at: number
  id: number
  codec: number
  offset: number
  stored: number
  raw: number
}

/** The section directory of a file. */
function directory(buf: Buffer): Entry[] {
  const n = buf.readUInt32LE(12)
  return Array.from({ length: n }, (_, i) => {
    const at = HEADER + i * ENTRY
    return {
      at,
      id: buf.readUInt32LE(at),
      codec: buf.readUInt16LE(at + 4),
      offset: Number(buf.readBigUInt64LE(at + 8)),
      stored: Number(buf.readBigUInt64LE(at + 16)),
      raw: Number(buf.readBigUInt64LE(at + 24)),
    }
  })
}

/** Recomputes the header checksum (bytes 0..24, 28..end of the directory). */
function sealHeader(buf: Buffer): Buffer {
  const end = HEADER + ENTRY * buf.readUInt32LE(12)
  buf.writeUInt32LE(crc32(buf.subarray(28, end), crc32(buf.subarray(0, 24))), 24)
  return buf
}

/** Replaces section `id` by `payload`, stored uncompressed at the end, every checksum right. */
function withSection(file: Buffer, id: number, payload: Buffer): Buffer {
  const out = Buffer.concat([file, payload])
  const e = directory(file).find((x) => x.id === id)!
  out.writeUInt16LE(0, e.at + 4)
  out.writeBigUInt64LE(BigInt(file.length), e.at + 8)
  out.writeBigUInt64LE(BigInt(payload.length), e.at + 16)
  out.writeBigUInt64LE(BigInt(payload.length), e.at + 24)
  out.writeUInt32LE(crc32(payload), e.at + 32)
  out.writeBigUInt64LE(BigInt(out.length), 16)
  return sealHeader(out)
}

function varints(...values: number[]): Buffer {
  const out: number[] = []
  for (let v of values) {
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80)
      v = Math.floor(v / 0x80)
    }
    out.push(v)
  }
  return Buffer.from(out)
}

/** A weighted snapshot file (every section present) written to a fresh directory. */
function sample(): { dir: string; bytes: Buffer } {
  const weighted = Snapshot.fromColumns(
    {
      strings: ['/app/a.js', 'alloc', '/app/b.js'],
      frames: Uint32Array.from([0, 1, 2, 1, 2, 7, 1, 0xffffffff]),
      seqEnds: Uint32Array.from([2, 3]),
      seqFrames: Uint32Array.from([0, 1, 1]),
      tracebacks: Uint32Array.from([0, 2, 1, 1]),
      domain: new Uint32Array(200),
      size: Float64Array.from({ length: 200 }, (_, i) => 16 * (1 + (i % 9))),
      traceback: Uint32Array.from({ length: 200 }, (_, i) => i % 2),
      weight: Float64Array.from({ length: 200 }, (_, i) => 1 + (i % 5)),
    },
    2,
  )
  return { dir: scratch(), bytes: weighted.toBuffer() }
}

/** Writes `bytes` to a file and expects loading it (sync and async) and decoding them to fail with `message`. */
async function refused(t: import('ava').ExecutionContext, dir: string, name: string, bytes: Buffer, message: RegExp): Promise<void> {
  const path = join(dir, name)
  writeFileSync(path, bytes)
  const e = t.throws(() => Snapshot.load(path), { instanceOf: Error })
  t.true(e!.message.startsWith(`${path}: `), `names the file: ${e!.message}`)
  t.regex(e!.message, message)
  await t.throwsAsync(Snapshot.loadAsync(path), { message: e!.message })
  const b = t.throws(() => Snapshot.fromBuffer(bytes))
  t.is(b!.message, `snapshot buffer: ${e!.message.slice(path.length + 2)}`)
}

test('truncated files are refused', async (t) => {
  const { dir, bytes } = sample()
  for (const len of [0, 7, 11, 20, 31, 32, 100, bytes.length >> 1, bytes.length - 1]) {
    await refused(t, dir, `cut-${len}.tmsnap`, bytes.subarray(0, len), /not a tracemalloc snapshot file|truncated/)
  }
  await refused(t, dir, 'cut-end.tmsnap', bytes.subarray(0, bytes.length - 1), /the file is truncated: its header says \d+ bytes, but it has \d+/)
})

test('a flipped bit in any section or in the directory is refused, naming the place', async (t) => {
  const { dir, bytes } = sample()
  const entries = directory(bytes)
  t.deepEqual(entries.map((e) => e.id).sort(), [1, 2, 3, 4, 5, 6, 7, 8])
  for (const e of entries) {
    for (const where of [e.offset, e.offset + (e.stored >> 1), e.offset + e.stored - 1]) {
      const b = Buffer.from(bytes)
      b[where]! ^= 0x10
      await refused(t, dir, `flip-${e.id}-${where}.tmsnap`, b, new RegExp(`section '${SECTIONS[e.id]}' \\(bytes \\d+\\.\\.\\d+\\) is corrupt: its crc32 is [0-9a-f]{8}, but the directory records [0-9a-f]{8}`))
    }
    const b = Buffer.from(bytes)
    b[e.at + 9]! ^= 0x01 // the entry's offset
    await refused(t, dir, `flip-dir-${e.id}.tmsnap`, b, /the header or the section directory is corrupt: crc32 is [0-9a-f]{8}, but the header records [0-9a-f]{8}/)
  }
})

test('wrong magic, and a CPython pickle, are refused', async (t) => {
  const { dir, bytes } = sample()
  const b = Buffer.from(bytes)
  b[0] = 0x88
  await refused(t, dir, 'magic.tmsnap', b, /^.*: not a tracemalloc snapshot file: the first 8 bytes are not the magic/)
  await refused(t, dir, 'json.tmsnap', Buffer.from('{"traces": []}'), /not a tracemalloc snapshot file/)
  // A real pickle written by CPython's Snapshot.dump.
  const pickle = join(dir, 'cpython.pickle')
  const py = spawnSync('python3', ['-c', `import tracemalloc; tracemalloc.Snapshot([(0, 10, (('a.py', 1),), 1)], 1).dump(${JSON.stringify(pickle)})`])
  t.is(py.status, 0, String(py.stderr))
  await refused(t, dir, 'from-cpython.tmsnap', readFileSync(pickle), /it looks like a Python pickle, as CPython's Snapshot\.dump writes; this loader never reads pickles/)
})

test('an unknown major version is refused, naming both versions', async (t) => {
  const { dir, bytes } = sample()
  const b = Buffer.from(bytes)
  b.writeUInt16LE(2, 8)
  b.writeUInt16LE(5, 10)
  await refused(t, dir, 'v2.tmsnap', b, /: snapshot file format version 2\.5 is not supported: this version of tracemalloc reads format version 1\.x \(it writes 1\.0\)$/)
})

test('a later minor version with an unknown section loads', (t) => {
  const { bytes } = sample()
  const original = Snapshot.fromBuffer(bytes)
  // Rename the weights section to an unknown id and call the file 1.7: the
  // section is skipped, so the traces load without weights.
  const b = Buffer.from(bytes)
  const e = directory(b).find((x) => x.id === 8)!
  b.writeUInt32LE(1000, e.at)
  b.writeUInt16LE(7, 10)
  const loaded = Snapshot.fromBuffer(sealHeader(b))
  t.is(loaded.traces.length, original.traces.length)
  t.true(Array.from(loaded.traces).every((tr) => tr.weight === 1))
  const unweighted = (s: Snapshot) =>
    Array.from(s.traces, (tr) => JSON.stringify([tr.domain, tr.size, tr.traceback.format()])).sort()
  t.deepEqual(unweighted(loaded), unweighted(original))
})

test('absurd counts are refused before anything is allocated', async (t) => {
  const { dir, bytes } = sample()
  const huge = 2 ** 32 - 5
  const cases: [number, Buffer, RegExp][] = [
    [2, Buffer.concat([varints(huge), Buffer.alloc(3)]), /section 'strings', payload offset 0: string count is 4294967291, but the 3 bytes left can hold at most 3$/],
    [3, Buffer.concat([varints(huge), Buffer.alloc(8)]), /section 'frames', payload offset 0: frame count is 4294967291, but the 8 bytes left can hold at most 2$/],
    // One sequence whose length column says 2^32 - 1 frames.
    [4, Buffer.from([1, 4, 0xff, 0xff, 0xff, 0xff]), /section 'sequences', payload offset 6: the sequence lengths add up to 4294967295 frames, but only 0 bytes remain$/],
    [5, Buffer.concat([varints(huge), Buffer.alloc(4)]), /section 'tracebacks', payload offset 0: traceback count is 4294967291/],
    // One run of 2^32 traces.
    [6, Buffer.from([1, 1, 0, 1, 0, 4, 0xff, 0xff, 0xff, 0xff]), /: section 'trace runs': run 0 takes the trace count past 200, the number of sizes$/],
    [7, Buffer.concat([varints(huge), Buffer.from([8])]), /section 'trace sizes', payload offset 6: trace sizes: 4294967291 values of 8 bytes do not fit in the 0 bytes left$/],
    [8, varints(200, 0, huge), /section 'trace weights', payload offset 3: dictionary size is 4294967291, but the 0 bytes left can hold at most 0$/],
  ]
  for (const [id, payload, message] of cases) {
    await refused(t, dir, `count-${id}.tmsnap`, withSection(bytes, id, payload), message)
  }
  // A directory declaring a section far larger than any zstd stream of its bytes could hold.
  const b = Buffer.from(bytes)
  const sizes = directory(b).find((x) => x.id === 7)!
  b.writeBigUInt64LE(2n ** 40n, sizes.at + 24)
  await refused(t, dir, 'raw.tmsnap', sealHeader(b), /declare \d+ bytes once decompressed|more than its \d+ stored bytes|over the limit/)
  const c = Buffer.from(bytes)
  c.writeUInt32LE(0xffffffff, 12)
  await refused(t, dir, 'sections.tmsnap', c, /the header lists 4294967295 sections, but a directory that long would end at byte \d+, past the end of the \d+-byte file/)
})
