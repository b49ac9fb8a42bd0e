/**
 * The published entry points: `require('tracemalloc')` and
 * `import ... from 'tracemalloc'` both load the built package (dist/).
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'

const root = resolve(__dirname, '..')
const script = `
  const traces = [[0, 10, [['a.js', 1, 2, 'f']], 1], [0, 5, [['b.js', 3]], 1]]
  const snap = new Snapshot(traces, 1)
  console.log(JSON.stringify(snap.statistics('lineno').map(String)))
`
const expected = JSON.stringify(['a.js:1:2: size=10 B, count=1, average=10 B', 'b.js:3: size=5 B, count=1, average=5 B'])

function run(args: string[]): string {
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`)
  return r.stdout.trim()
}

test('require("tracemalloc") works', (t) => {
  t.is(run(['-e', `const { Snapshot } = require('tracemalloc');${script}`]), expected)
})

test('import { Snapshot } from "tracemalloc" works, with the same classes', (t) => {
  const esm = `import { Snapshot, Filter } from 'tracemalloc'; import cjs from 'tracemalloc';
    if (cjs.Snapshot !== Snapshot || cjs.Filter !== Filter) throw new Error('two copies');${script}`
  t.is(run(['--input-type=module', '-e', esm]), expected)
})

test('every named export is reachable from ESM', (t) => {
  const names = JSON.parse(run(['-e', "console.log(JSON.stringify(Object.keys(require('tracemalloc')).filter((k) => k !== '__esModule').sort()))"]))
  const esmNames = JSON.parse(
    run(['--input-type=module', '-e', "import * as m from 'tracemalloc'; console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule').sort()))"]),
  )
  // Node 23+ also exposes the whole CommonJS exports object as 'module.exports'
  // in the ES namespace of a CommonJS module; Node 20 and 22 do not.
  const major = Number(process.versions.node.split('.')[0])
  t.is(esmNames.includes('module.exports'), major >= 23, `'module.exports' in the namespace on Node ${major}`)
  t.deepEqual(
    esmNames.filter((k: string) => k !== 'module.exports'),
    names,
  )
  t.true(names.includes('Snapshot'))
})
