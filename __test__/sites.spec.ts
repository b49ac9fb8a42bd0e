/**
 * Sites a user can act on: builtins charged to their JavaScript caller (both
 * modes). Live checks run in fresh processes.
 */
import test from 'ava'
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'

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

test('sampled and exact mode fold the same frames', async (t) => {
  const [s, e] = await Promise.all([builtins('sampled', false), builtins('exact', false)])
  const names = (r: BuiltinRun) => new Set(r.rows.filter(([, , , size]) => size / r.total > 0.05).map(([f, , fn]) => `${f} ${fn}`))
  t.deepEqual([...names(s)].sort(), [...names(e)].sort())
})

