/**
 * Sites a user can act on: builtins charged to their JavaScript caller (both
 * modes), the `package` key type on real npm packages, and long source lines
 * cut by `Traceback.format()`. Live checks run in fresh processes.
 */
import test from 'ava'
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

import { Snapshot, Traceback } from '../index'

const root = resolve(__dirname, '..')
const fixture = (name: string) => resolve(__dirname, 'fixtures/sites', name)

function node(args: string[], cwd = root): Promise<string> {
  return new Promise((done, fail) => {
    execFile(process.execPath, args, { cwd, maxBuffer: 64 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) fail(new Error(`${err.message}\n${stderr}`))
      else done(stdout)
    })
  })
}

interface BuiltinRun {
  rows: [string, number, string | null, number][]
  total: number
  tracebacks: [string, number, number, string][][]
}

async function builtins(mode: 'sampled' | 'exact', raw: boolean): Promise<BuiltinRun> {
  return JSON.parse(await node([fixture('builtins.js'), mode, raw ? '1' : '0', root])) as BuiltinRun
}

for (const mode of ['sampled', 'exact'] as const) {
  test(`${mode}: builtins are charged to their JavaScript caller, their name kept`, async (t) => {
    const r = await builtins(mode, false)
    const file = fixture('builtins.js')
    const share = (func: string) =>
      r.rows.filter(([f, , fn]) => f === file && fn === func).reduce((a, [, , , size]) => a + size, 0) / r.total
    // Each builtin's bytes land on the function that called it.
    t.true(share('renderPage (via join)') > 0.05, JSON.stringify(r.rows))
    t.true(share('escapeText (via replace)') > 0.05, JSON.stringify(r.rows))
    // JSON.stringify is C++: V8 already charges it to its caller.
    t.true(share('toJson') > 0.02, JSON.stringify(r.rows))
    const unknown = r.rows.filter(([f]) => f === '<unknown>').reduce((a, [, , , size]) => a + size, 0)
    t.true(unknown / r.total < 0.02, `no <unknown> rows left: ${JSON.stringify(r.rows)}`)
    // Whole tracebacks hold no scriptless frame under a scripted one.
    for (const tb of r.tracebacks) {
      const firstScripted = tb.findIndex(([f]) => f !== '<unknown>')
      if (firstScripted >= 0) t.is(tb.slice(0, firstScripted).length, 0, JSON.stringify(tb))
    }
  })

  test(`${mode}: rawFrames keeps builtin frames as V8 reports them`, async (t) => {
    const r = await builtins(mode, true)
    const join = r.rows.find(([f, , fn]) => f === '<unknown>' && fn === 'join')
    t.truthy(join, JSON.stringify(r.rows))
    t.false(r.rows.some(([, , fn]) => fn !== null && fn.includes('(via ')))
  })
}

test('a frame that absorbed builtins prints them after its position', (t) => {
  t.is(String(new Traceback([['/a.js', 3, 5, 'renderPage (via join)']])), '/a.js:3:5 (via join)')
  t.is(String(new Traceback([['/a.js', 3, 5, 'renderPage']])), '/a.js:3:5')
})

test('sampled and exact mode fold the same frames', async (t) => {
  const [s, e] = await Promise.all([builtins('sampled', false), builtins('exact', false)])
  const names = (r: BuiltinRun) => new Set(r.rows.filter(([, , , size]) => size / r.total > 0.05).map(([f, , fn]) => `${f} ${fn}`))
  t.deepEqual([...names(s)].sort(), [...names(e)].sort())
})

test('the package key rolls frames up by npm package, in statistics and compareTo', async (t) => {
  // A project of its own, with real packages installed in its node_modules:
  // acorn and a scoped one, @babel/parser.
  const dir = mkdtempSync(join(tmpdir(), 'tracemalloc-packages-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const pkg of ['acorn', '@babel/parser']) {
    cpSync(join(root, 'node_modules', pkg), join(dir, 'node_modules', pkg), { recursive: true, dereference: true })
  }
  cpSync(fixture('packages-app.js'), join(dir, 'app.js'))
  writeFileSync(join(dir, 'package.json'), '{"name": "app", "private": true}')
  const r = JSON.parse(await node([join(dir, 'app.js'), root], dir)) as {
    stats: [string, number, number][]
    cumulative: [string, number][]
    diff: [string, number, number][]
    total: number
  }
  const size = (name: string) => r.stats.find(([n]) => n === name)?.[2] ?? 0
  t.true(size('acorn') > 0.05 * r.total, JSON.stringify(r.stats))
  t.true(size('@babel/parser') > 0.05 * r.total, JSON.stringify(r.stats))
  t.true(size('(app)') > 0.2 * r.total, JSON.stringify(r.stats))
  // Every row is a package, `node:`, `(app)` or `<unknown>`, at line 0, and the rows add up.
  for (const [name, line] of r.stats) {
    t.regex(name, /^(acorn|@babel\/parser|node:|\(app\)|<unknown>)$/)
    t.is(line, 0)
  }
  t.true(Math.abs(r.stats.reduce((a, [, , s]) => a + s, 0) - r.total) <= 1e-6 * r.total)
  // Cumulative: each package once per trace, so the app (at the bottom of every stack) holds everything.
  t.true(Math.abs((r.cumulative.find(([n]) => n === '(app)')?.[1] ?? 0) - r.total) <= 0.01 * r.total, JSON.stringify(r.cumulative))
  // compareTo by package: what was parsed after the first snapshot is new.
  const acorn = r.diff.find(([n]) => n === 'acorn')
  t.truthy(acorn)
  t.true(acorn![2] > 0.9 * size('acorn'), JSON.stringify(r.diff))
})

test('the package key is checked like the others', (t) => {
  const snap = new Snapshot(
    [
      [0, 100, [['/p/node_modules/@s/x/a.js', 1]], 1],
      [0, 50, [['/p/node_modules/y/node_modules/z/b.js', 2]], 1],
      [0, 7, [['node:fs', 3]], 1],
      [0, 5, [['/p/main.js', 4]], 1],
    ],
    1,
  )
  t.deepEqual(
    snap.statistics('package').map((s) => [s.traceback.at(0).filename, s.size]),
    [
      ['@s/x', 100],
      ['z', 50],
      ['node:', 7],
      ['(app)', 5],
    ],
  )
  // A row prints the package alone (the key's line 0 is no line of code).
  t.is(String(snap.statistics('package')[0]), '@s/x: size=100 B, count=1, average=100 B')
  const older = new Snapshot([[0, 40, [['/p/node_modules/@s/x/a.js', 1]], 1]], 1)
  t.is(String(snap.compareTo(older, 'package')[0]), '@s/x: size=100 B (+60 B), count=1 (+0), average=100 B')
  // A key replaced by hand prints as a traceback again, as in CPython.
  const st = snap.statistics('package')[0]!
  st.traceback = snap.statistics('lineno')[0]!.traceback
  t.regex(String(st), /^\/p\/node_modules\/@s\/x\/a\.js:1: /)
})

test('format() cuts long source lines around the frame column', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracemalloc-minified-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'bundle.min.js')
  const filler = Array.from({ length: 700 }, (_, i) => `var a${i}=${i};`).join('')
  const line = `  ${filler}function hereItIs(){return[1,2,3]}${filler}`
  writeFileSync(file, `// header\n${line}\n`)
  const column = line.indexOf('function hereItIs') + 1
  const out = new Traceback([[file, 2, column, 'hereItIs']]).format()
  t.is(out.length, 2)
  t.true(out[1]!.length <= 4 + 160, `line of ${out[1]!.length}`)
  t.true(out[1]!.includes('function hereItIs()'), out[1])
  t.true(out[1]!.startsWith('    ...') && out[1]!.endsWith('...'), out[1])
  // Without a column, the start of the line; short lines are untouched.
  const head = new Traceback([[file, 2]]).format()[1]!
  t.true(head.startsWith('    var a0=0;') && head.endsWith('...') && head.length <= 164, head)
  t.deepEqual(new Traceback([[file, 1]]).format(), [`  File "${file}", line 1`, '    // header'])
  // Infinity prints whole lines, as CPython does.
  t.is(new Traceback([[file, 2]]).format(null, false, { maxLineLength: Infinity })[1], `    ${line.trim()}`)
  t.throws(() => new Traceback([[file, 2]]).format(null, false, { maxLineLength: 0 }), { instanceOf: RangeError })
})

test('frames of compiled TypeScript name the .ts source when source maps are on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracemalloc-maps-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(fixture('mapped-app.ts'), join(dir, 'src', 'app.ts'))
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const common = ['--module', 'commonjs', '--target', 'es2022', '--rootDir', join(dir, 'src'), join(dir, 'src', 'app.ts')]
  await node([tsc, ...common, '--sourceMap', '--outDir', join(dir, 'external')])
  await node([tsc, ...common, '--inlineSourceMap', '--outDir', join(dir, 'inline')])
  // Where tsc put the function: its line, and the column of its parameter list, where V8 starts a function.
  const lines = readFileSync(join(dir, 'src', 'app.ts'), 'utf8').split('\n')
  const line = lines.findIndex((l) => l.includes('function makeRows(')) + 1
  const column = lines[line - 1]!.indexOf('(') + 1
  const ts = join(dir, 'src', 'app.ts')
  // The same build moved where its map's sources ("../src/app.ts") name no file: the generated file is the pointer.
  const orphan = join(dir, 'orphan', 'lib')
  mkdirSync(orphan, { recursive: true })
  for (const f of ['app.js', 'app.js.map']) cpSync(join(dir, 'external', f), join(orphan, f))
  const driver = fixture('mapped-driver.js')
  const register = join(root, 'dist', 'src', 'register.js')
  const cases: [string, string[], [string, number, number] | string][] = [
    ['--enable-source-maps, external map', ['--enable-source-maps', driver, root, join(dir, 'external', 'app.js')], [ts, line, column]],
    ['enabled after loading, external map', [driver, root, join(dir, 'external', 'app.js'), 'late'], [ts, line, column]],
    ['enabled after loading, inline map', [driver, root, join(dir, 'inline', 'app.js'), 'late'], [ts, line, column]],
    ['tracemalloc/register, inline map', ['--require', register, driver, root, join(dir, 'inline', 'app.js')], [ts, line, column]],
    ['source maps off', [driver, root, join(dir, 'external', 'app.js')], join(dir, 'external', 'app.js')],
    ['a map whose source is not on disk', ['--enable-source-maps', driver, root, join(orphan, 'app.js')], join(orphan, 'app.js')],
  ]
  for (const [what, args, want] of cases) {
    const env = args.includes(register) ? { ...process.env, TRACEMALLOC: '3', TRACEMALLOC_INTERVAL: '1024' } : process.env
    const got = JSON.parse(
      await new Promise<string>((done, fail) =>
        execFile(process.execPath, args, { cwd: dir, env }, (err, stdout, stderr) => (err ? fail(new Error(`${what}: ${stderr}`)) : done(stdout))),
      ),
    ) as [string, number, number]
    if (typeof want === 'string') t.is(got[0], want, what)
    else t.deepEqual(got, want, what)
  }
})
