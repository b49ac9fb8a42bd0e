import test from 'ava'
import { spawnSync } from 'node:child_process'

import { compareCodePoints, formatCount, formatSize, pyRepr, pyStrip, pyTypeName } from '../src/pyformat'
import { loadOracle } from './oracle'

// ---------------------------------------------------------------------------
// Oracle fixture (computed by CPython's tracemalloc)
// ---------------------------------------------------------------------------

interface FormatSizeRow {
  size: number
  sign: boolean
  expected: string
}

type RawFrame = [string, number]

interface OracleCase {
  id: string
  traces: { frames: RawFrame[] }[]
  expected: {
    traces: {
      index: number
      traceback: { frames: RawFrame[] }
      traceback_repr: string
    }[]
  }
}

interface Oracle {
  format_size: FormatSizeRow[]
  cases: OracleCase[]
}

// `__dirname` exists when the spec runs as CommonJS; when it runs as an ES
// module, AVA's working directory is the project root.
const oracle = loadOracle() as Oracle

test('formatSize matches every format_size row of the CPython oracle', (t) => {
  const rows = oracle.format_size
  t.true(rows.length > 0)
  const mismatches = rows
    .map((r) => ({ size: r.size, sign: r.sign, expected: r.expected, actual: formatSize(r.size, r.sign) }))
    .filter((r) => r.actual !== r.expected)
  t.deepEqual(mismatches, [])
  t.log(`${rows.length} oracle rows checked`)
})

test('pyRepr reproduces the filename reprs inside the oracle traceback reprs', (t) => {
  const covered = new Set<string>()
  let frames = 0
  for (const c of oracle.cases) {
    for (const trace of c.expected.traces) {
      // The traceback frames are the input trace frames (no truncation in the fixture).
      t.deepEqual(trace.traceback.frames, c.traces[trace.index].frames, c.id)
      for (const [filename, lineno] of trace.traceback.frames) {
        const needle = `<Frame filename=${pyRepr(filename)} lineno=${lineno}>`
        if (!trace.traceback_repr.includes(needle)) {
          t.fail(`${c.id}: ${JSON.stringify(needle)} not in ${JSON.stringify(trace.traceback_repr)}`)
        }
        covered.add(filename)
        frames++
      }
    }
  }
  const all = new Set<string>()
  for (const c of oracle.cases) for (const tr of c.traces) for (const [fn] of tr.frames) all.add(fn)
  t.deepEqual([...all].filter((fn) => !covered.has(fn)), [])
  t.true(frames > 0)
  // The fixture includes the tricky names; make sure they were exercised.
  for (const fn of ['\udcff.py', "it's.py", 'say "hi".py', 'both\'"q.py', 'back\\slash.py', 'nul\x00.py', 'zw\u200bsp.py']) {
    t.true(all.has(fn), fn)
  }
  t.log(`${frames} frames, ${covered.size} distinct filenames checked`)
})

// ---------------------------------------------------------------------------
// formatSize / formatCount by hand (expected values computed with CPython 3.11)
// ---------------------------------------------------------------------------

test('formatSize rounds ties to even like Python %f', (t) => {
  t.is(formatSize(2.5, false), '2 B')
  t.is(formatSize(3.5, false), '4 B')
  t.is(formatSize(0.5, false), '0 B')
  t.is(formatSize(1.5, false), '2 B')
  t.is(formatSize(0.5, true), '+0 B')
  t.is(formatSize(10239.5, false), '10240 B')
  t.is(formatSize(10496, false), '10.2 KiB') // 10.25 KiB
  t.is(formatSize(11008, false), '10.8 KiB') // 10.75 KiB
  t.is(formatSize(10752, false), '10.5 KiB')
  t.is(formatSize(102912, false), '100 KiB') // 100.5 KiB
  t.is(formatSize(103936, false), '102 KiB') // 101.5 KiB
  t.is(formatSize(102349, false), '100.0 KiB') // 99.95... KiB
  t.is(formatSize(10485759, false), '10240 KiB')
  t.is(formatSize(10485760, false), '10.0 MiB')
  t.is(formatSize(1024 * 1024 * 10.25, false), '10.2 MiB')
  t.is(formatSize(1024 ** 3 * 12.25, false), '12.2 GiB')
  t.is(formatSize(1024 ** 3 * 12.75, false), '12.8 GiB')
  t.is(formatSize(1024 ** 4 * 2.5, false), '2560 GiB') // below 10240 GiB
  t.is(formatSize(1024 ** 4 * 10240.5, false), '10240 TiB')
  t.is(formatSize(1024 ** 4 * 20000.5, false), '20000 TiB')
  t.is(formatSize(1024 ** 4 * 20001.5, true), '+20002 TiB')
  // JS toFixed disagrees at these ties
  t.is((2.5).toFixed(0), '3')
  t.is((10.25).toFixed(1), '10.3')
})

test('formatSize of negative values, including negative ties', (t) => {
  t.is(formatSize(-2.5, false), '-2 B')
  t.is(formatSize(-2.5, true), '-2 B')
  t.is(formatSize(-3.5, false), '-4 B')
  t.is(formatSize(-10496, false), '-10.2 KiB')
  t.is(formatSize(-10496, true), '-10.2 KiB')
  t.is(formatSize(-11008, false), '-10.8 KiB')
  t.is(formatSize(-102912, true), '-100 KiB')
  t.is(formatSize(-1, false), '-1 B')
  t.is(formatSize(-0.4, false), '-0 B') // Python float -0.4 formats as -0
  t.is(formatSize(-0.4, true), '-0 B')
})

test('formatSize sign, zero and -0', (t) => {
  t.is(formatSize(0, false), '0 B')
  t.is(formatSize(0, true), '+0 B')
  t.is(formatSize(-0, false), '0 B') // treated as the integer 0
  t.is(formatSize(-0, true), '+0 B')
  t.is(formatSize(99, true), '+99 B')
  t.is(formatSize(10240, true), '+10.0 KiB')
  t.is(formatSize(12345.678, true), '+12.1 KiB')
})

test('formatSize of huge values and special values', (t) => {
  t.is(formatSize(2 ** 64, false), '16777216 TiB')
  t.is(formatSize(2 ** 64, true), '+16777216 TiB')
  t.is(formatSize(1e30, false), '909494701772928256 TiB')
  t.is(formatSize(-1e30, false), '-909494701772928256 TiB')
  t.is(formatSize(Number.MAX_SAFE_INTEGER, false), '8192 TiB')
  // >= 1e21 TiB: toFixed would switch to exponent notation
  t.is(formatSize(1.2e33, false), '1091393642127513878528 TiB')
  t.is(formatSize(1e35, true), '+90949470177292820938752 TiB')
  t.is(formatSize(1e40, false), '9094947017729282655442173952 TiB')
  t.is(formatSize(-1e40, true), '-9094947017729282655442173952 TiB')
  t.is(
    formatSize(Number.MAX_VALUE, false),
    '163499238157084228818828181585290037035584252885969359885091286562926380411252956728812531430564266130696031681067672674757269603005137635380804155559906136646577497755562291855535922959815551570569249186933242474246602102451309245376076941585891607496521670513306820038213279240989595456312967168 TiB',
  )
  t.is(formatSize(NaN, false), 'nan TiB')
  t.is(formatSize(NaN, true), '+nan TiB')
  t.is(formatSize(Infinity, false), 'inf TiB')
  t.is(formatSize(Infinity, true), '+inf TiB')
  t.is(formatSize(-Infinity, false), '-inf TiB')
  t.is(formatSize(-Infinity, true), '-inf TiB')
})

test('formatCount is Python %i / %+i', (t) => {
  t.is(formatCount(0, false), '0')
  t.is(formatCount(0, true), '+0')
  t.is(formatCount(-0, false), '0')
  t.is(formatCount(-0, true), '+0')
  t.is(formatCount(7, true), '+7')
  t.is(formatCount(-7, true), '-7')
  t.is(formatCount(-7, false), '-7')
  t.is(formatCount(123456789, false), '123456789')
  t.is(formatCount(2.7, false), '2')
  t.is(formatCount(-2.7, false), '-2')
  t.is(formatCount(-0.5, false), '0')
  t.is(formatCount(-0.5, true), '+0')
  t.is(formatCount(Number.MAX_SAFE_INTEGER, true), '+9007199254740991')
  t.is(formatCount(1e20, false), '100000000000000000000')
  t.is(formatCount(1e21, false), '1000000000000000000000')
  t.is(formatCount(2 ** 70, false), '1180591620717411303424')
  t.is(formatCount(-(2 ** 70), true), '-1180591620717411303424')
  t.throws(() => formatCount(NaN, false), { instanceOf: RangeError })
  t.throws(() => formatCount(Infinity, true), { instanceOf: RangeError })
})

// ---------------------------------------------------------------------------
// pyRepr / pyStrip / pyTypeName / compareCodePoints by hand
// ---------------------------------------------------------------------------

test('pyRepr escapes like Python str.__repr__', (t) => {
  t.is(pyRepr(''), "''")
  t.is(pyRepr('a.py'), "'a.py'")
  t.is(pyRepr('\x00'), "'\\x00'")
  t.is(pyRepr('\x7f'), "'\\x7f'")
  t.is(pyRepr('\xa0'), "'\\xa0'")
  t.is(pyRepr('\xad'), "'\\xad'")
  t.is(pyRepr('\u200b'), "'\\u200b'")
  t.is(pyRepr('\udcff'), "'\\udcff'")
  t.is(pyRepr('\ud83d'), "'\\ud83d'")
  t.is(pyRepr('\udcff\ud83d'), "'\\udcff\\ud83d'") // trail then lead: two lone surrogates
  t.is(pyRepr('\t\n\r\x0b\x0c\x1b'), "'\\t\\n\\r\\x0b\\x0c\\x1b'")
  t.is(pyRepr("it's"), '"it\'s"')
  t.is(pyRepr('say "hi"'), '\'say "hi"\'')
  t.is(pyRepr(`both ' and "`), `'both \\' and "'`)
  t.is(pyRepr('\\'), "'\\\\'")
  t.is(pyRepr('é😀'), "'é😀'")
  t.is(pyRepr('\u2028'), "'\\u2028'")
  t.is(pyRepr('\u2029\u3000\u1680 '), "'\\u2029\\u3000\\u1680 '")
  t.is(pyRepr('\ufeff'), "'\\ufeff'")
  t.is(pyRepr('\ue000'), "'\\ue000'") // private use (Co)
  t.is(pyRepr('\uffff'), "'\\uffff'") // noncharacter (Cn)
  t.is(pyRepr('\u{e0001}'), "'\\U000e0001'") // language tag (Cf)
  t.is(pyRepr('\u{10ffff}'), "'\\U0010ffff'")
  t.is(pyRepr('！wide.py'), "'！wide.py'")
  t.is(pyRepr('tab\there.py'), "'tab\\there.py'")
})

test('pyStrip strips Python whitespace only', (t) => {
  t.is(pyStrip('\x1c a \x85'), 'a')
  t.is(pyStrip('\ufeffa'), '\ufeffa')
  t.is('\ufeffa'.trim(), 'a') // JS trim differs
  t.is(pyStrip(' \t\n\x0b\x0c\r\x1d\x1e\x1f\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000x y\u3000 '), 'x y')
  t.is(pyStrip('\u200bx\u180e'), '\u200bx\u180e') // not whitespace for Python
  t.is(pyStrip('   '), '')
  t.is(pyStrip(''), '')
  t.is(pyStrip('abc'), 'abc')
})

class Filter {}

test('pyTypeName maps JS values to Python type names', (t) => {
  t.is(pyTypeName(null), 'NoneType')
  t.is(pyTypeName(undefined), 'NoneType')
  t.is(pyTypeName(true), 'bool')
  t.is(pyTypeName(3), 'int')
  t.is(pyTypeName(-0), 'int')
  t.is(pyTypeName(3.5), 'float')
  t.is(pyTypeName(NaN), 'float')
  t.is(pyTypeName(Infinity), 'float')
  t.is(pyTypeName(3n), 'int')
  t.is(pyTypeName('x'), 'str')
  t.is(pyTypeName(() => 1), 'function')
  t.is(pyTypeName(Filter), 'function')
  t.is(pyTypeName([1, 2]), 'list')
  t.is(pyTypeName(new Filter()), 'Filter')
  t.is(pyTypeName(new Map()), 'Map')
  t.is(pyTypeName({}), 'Object')
  t.is(pyTypeName(Object.create(null)), 'object')
  t.is(pyTypeName(Symbol('s')), 'symbol')
})

function referenceCompare(a: string, b: string): number {
  const ca = Array.from(a, (c) => c.codePointAt(0) as number)
  const cb = Array.from(b, (c) => c.codePointAt(0) as number)
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    if (ca[i] !== cb[i]) return ca[i] < cb[i] ? -1 : 1
  }
  return ca.length === cb.length ? 0 : ca.length < cb.length ? -1 : 1
}

test('compareCodePoints orders by code point, not UTF-16 unit', (t) => {
  t.true('\uff01' > '😀') // UTF-16 order
  t.is(compareCodePoints('\uff01', '😀'), -1) // code point order
  t.is(compareCodePoints('😀', '\uff01'), 1)
  t.is(compareCodePoints('！.py', '😀.py'), -1)
  t.is(compareCodePoints('a', 'a'), 0)
  t.is(compareCodePoints('', ''), 0)
  t.is(compareCodePoints('', 'a'), -1)
  t.is(compareCodePoints('a', 'b'), -1)
  t.is(compareCodePoints('b', 'a'), 1)
  t.is(compareCodePoints('ab', 'a'), 1)
  t.is(compareCodePoints('\udcff.py', '\ue000'), -1) // lone surrogate U+DCFF < U+E000
  t.is(compareCodePoints('\udcff', '😀'), -1)
  t.is(compareCodePoints('\ud83d', '😀'), -1) // lone lead vs its pair
  t.is(compareCodePoints('\ud83d\uffff', '😀'), -1) // lone lead U+D83D < U+1F600
  t.is(compareCodePoints('😀', '\ud83d\uffff'), 1)
  t.is(compareCodePoints('\ud83d\ude00', '\ud83d\ude01'), -1)
  t.is(compareCodePoints('x\ud83d\ue000', 'x\ud83d\udc00'), -1)

  // Exhaustive over a small tricky alphabet, against a code-point reference.
  const alphabet = ['a', '\uff01', '\ue000', '\uffff', '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d', '\ude00', '😀', '\u{10000}']
  const strings: string[] = ['']
  for (const x of alphabet) {
    strings.push(x)
    for (const y of alphabet) strings.push(x + y)
  }
  let checked = 0
  for (const a of strings) {
    for (const b of strings) {
      const expected = referenceCompare(a, b)
      if (compareCodePoints(a, b) !== expected) t.fail(`${pyRepr(a)} vs ${pyRepr(b)}`)
      checked++
    }
  }
  t.log(`${checked} pairs compared`)
})

// ---------------------------------------------------------------------------
// Randomized differential check against python3 (one process)
// ---------------------------------------------------------------------------

/** mulberry32: small deterministic PRNG returning floats in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let r = Math.imul(a ^ (a >>> 15), 1 | a)
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296
  }
}

function sizeValues(): number[] {
  const rnd = prng(0x7ace)
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1))
  const values: number[] = [0, 1, 5e-324, 1e-300, 0.049, 0.05, 0.5, 1e21, 1.2e33, 1e35, 1e300, Number.MAX_VALUE]
  // Integers and near-integers around every threshold of every unit.
  for (let p = 0; p <= 4; p++) {
    const u = 1024 ** p
    for (const base of [100 * u, 10240 * u, 1024 * u]) {
      for (let d = -3; d <= 3; d++) values.push(base + d, base + d * u * 0.05, base + d * 0.25)
    }
  }
  // Exact ties: x.5 in the 0-decimal ranges, x.25 / x.75 in the 1-decimal ranges.
  for (let i = 0; i < 250; i++) values.push(int(0, 10239) + 0.5)
  for (let p = 1; p <= 4; p++) {
    const u = 1024 ** p
    for (let i = 0; i < 70; i++) values.push(u * (int(10, 99) + (rnd() < 0.5 ? 0.25 : 0.75)))
    for (let i = 0; i < 70; i++) values.push(u * (int(100, p === 4 ? 1e6 : 10239) + 0.5))
  }
  // Random integers and random doubles over many magnitudes.
  for (let i = 0; i < 300; i++) values.push(int(0, 2 ** 31))
  for (let i = 0; i < 200; i++) values.push(Math.floor(rnd() * 2 ** 53))
  for (let i = 0; i < 400; i++) values.push((1 + rnd()) * 2 ** int(-10, 120))
  for (let i = 0; i < 150; i++) values.push(rnd() * 1e7)
  for (let i = 0; i < 100; i++) values.push(int(0, 1e6) / 100) // two-decimal literals
  const n = values.length
  for (let i = 0; i < n; i++) values.push(-values[i])
  return values
}

function reprStrings(): string[] {
  const out: string[] = []
  // Every code point below U+0300 (their categories do not change between Unicode versions).
  for (let c = 0; c < 0x300; c++) out.push(String.fromCodePoint(c))
  const special = [
    0x600, 0x61c, 0x1680, 0x180e, 0x200b, 0x200e, 0x2028, 0x2029, 0x202f, 0x205f, 0x2060, 0x3000, 0xd800, 0xdbff,
    0xdc00, 0xdcff, 0xdfff, 0xe000, 0xf8ff, 0xfeff, 0xfff9, 0xfffc, 0xfffd, 0xfffe, 0xffff, 0xff01, 0x10000, 0x1f600,
    0xe0001, 0xe0020, 0xf0000, 0x10fffd, 0x10ffff, 0x4e2d, 0x0416,
  ]
  const chars = [...special.map((c) => String.fromCharCode(...codeUnits(c))), 'a', "'", '"', '\\', ' ', '\t', '\n', '\r']
  for (const c of special) out.push(String.fromCharCode(...codeUnits(c)))
  const rnd = prng(0x5eed)
  for (let i = 0; i < 300; i++) {
    let s = ''
    const len = Math.floor(rnd() * 6)
    for (let j = 0; j < len; j++) s += chars[Math.floor(rnd() * chars.length)]
    out.push(s)
  }
  out.push("it's", 'say "hi"', `both ' and "`, '\\', 'é😀', 'a\ud83d', '\ude00b')
  return out
}

/** UTF-16 units of a code point; surrogate code points give the lone unit. */
function codeUnits(cp: number): number[] {
  if (cp < 0x10000) return [cp]
  const v = cp - 0x10000
  return [0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff)]
}

function stripStrings(): string[] {
  const out: string[] = []
  for (let c = 0; c < 0x3100; c++) {
    const ch = String.fromCharCode(c)
    out.push(ch + 'x' + ch + ch, ch)
  }
  out.push('\ufeffx\ufeff', '')
  return out
}

function sortStrings(): string[] {
  const alphabet = ['a', 'z', '\xe9', '\uff01', '\ue000', '\uffff', '\ud800', '\udbff', '\udcff', '\udfff', '😀', '\u{10000}', '\u{10ffff}']
  const rnd = prng(0x5047)
  const out: string[] = []
  for (let i = 0; i < 400; i++) {
    let s = ''
    const len = Math.floor(rnd() * 5)
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)]
    out.push(s)
  }
  return out
}

/** JSON with every non-ASCII UTF-16 unit escaped (keeps lone surrogates intact). */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
}

const PYTHON_SCRIPT = `
import json, sys, tracemalloc
data = json.loads(sys.stdin.buffer.read().decode('ascii'))
out = {
    'sizes': [[tracemalloc._format_size(float(v), False), tracemalloc._format_size(float(v), True)] for v in data['sizes']],
    'reprs': [repr(s) for s in data['reprs']],
    'strips': [s.strip() for s in data['strips']],
    'sorted': sorted(data['sort']),
}
sys.stdout.write(json.dumps(out, ensure_ascii=True))
`

interface PythonAnswer {
  sizes: [string, string][]
  reprs: string[]
  strips: string[]
  sorted: string[]
}

test('randomized differential check against python3 (formatSize, pyRepr, pyStrip, compareCodePoints)', (t) => {
  const sizes = sizeValues()
  const reprs = reprStrings()
  const strips = stripStrings()
  const sort = sortStrings()
  const proc = spawnSync('python3', ['-c', PYTHON_SCRIPT], {
    input: asciiJson({ sizes, reprs, strips, sort }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  if (proc.error && (proc.error as NodeJS.ErrnoException).code === 'ENOENT') {
    t.log('python3 is not on PATH: differential check skipped')
    t.pass()
    return
  }
  t.is(proc.error, undefined)
  t.is(proc.status, 0, proc.stderr)
  const answer = JSON.parse(proc.stdout) as PythonAnswer

  t.true(sizes.length >= 2000)
  const sizeMismatches: { value: number; sign: boolean; expected: string; actual: string }[] = []
  sizes.forEach((value, i) => {
    for (const sign of [false, true]) {
      const expected = answer.sizes[i][sign ? 1 : 0]
      const actual = formatSize(value, sign)
      if (actual !== expected) sizeMismatches.push({ value, sign, expected, actual })
    }
  })
  t.deepEqual(sizeMismatches, [])

  const reprMismatches = reprs
    .map((s, i) => ({ s: asciiJson(s), expected: answer.reprs[i], actual: pyRepr(s) }))
    .filter((r) => r.expected !== r.actual)
  t.deepEqual(reprMismatches, [])

  const stripMismatches = strips
    .map((s, i) => ({ s: asciiJson(s), expected: answer.strips[i], actual: pyStrip(s) }))
    .filter((r) => r.expected !== r.actual)
  t.deepEqual(stripMismatches, [])

  t.deepEqual([...sort].sort(compareCodePoints), answer.sorted)

  t.log(`${sizes.length * 2} formatSize calls, ${reprs.length} reprs, ${strips.length} strips, ${sort.length} sorted strings checked`)
})
