/**
 * The `tracemalloc` command's contract: exit code 2 and a message naming the
 * file and what is wrong for missing, foreign, damaged and unreadable input;
 * exit code 2 and a message naming the option for bad usage; `--help` on
 * every verb, `--version`; `--json` leaves stdout empty on errors; no
 * progress output when stderr is not a terminal, a bar when it is one.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { Snapshot } from '../index'
import { root } from './child'
import { cli, scratchDir, tm } from './cli-harness'

const dir = scratchDir()
const VERBS = ['top', 'compare', 'convert', 'flamegraph', 'info', 'run']

/** A small real native snapshot, and files that are not snapshots. */
const good = join(dir, 'good.tmsnap')
new Snapshot(
  [
    [0, 4096, [['app.js', 3, 1, 'main']], 2],
    [0, 100, [['lib.js', 9, 5, 'helper']], 1],
  ],
  1,
).dump(good)
const bytes = readFileSync(good)
const files = {
  garbage: join(dir, 'garbage.bin'),
  foreign: join(dir, 'foreign.json'),
  truncated: join(dir, 'truncated.tmsnap'),
  flipped: join(dir, 'flipped.tmsnap'),
  badProfile: join(dir, 'bad.heapprofile'),
  empty: join(dir, 'empty.heapsnapshot'),
}
writeFileSync(files.garbage, randomBytes(256))
writeFileSync(files.foreign, '{"name": "not a snapshot", "version": 1}')
writeFileSync(files.truncated, bytes.subarray(0, Math.floor(bytes.length / 2)))
const flipped = Buffer.from(bytes)
flipped[flipped.length - 3]! ^= 0x10
writeFileSync(files.flipped, flipped)
writeFileSync(files.badProfile, '{"head": {"callFrame": 12}, "samples": []}')
writeFileSync(files.empty, '')

/** Input errors: each file with what its message must say. */
const BAD_INPUTS: [string, string, RegExp][] = [
  ['missing', join(dir, 'does-not-exist.tmsnap'), /no such file/],
  ['a directory', dir, /not a regular file/],
  ['random bytes', files.garbage, /not a snapshot file: it starts with/],
  ['foreign JSON', files.foreign, /not a snapshot file: it is a JSON object whose first key is "name"/],
  ['a truncated native file', files.truncated, /truncated/],
  ['a bit-flipped native file', files.flipped, /checksum|crc|corrupt/i],
  ['a malformed .heapprofile', files.badProfile, /callFrame|heap profile|expected/i],
  ['an empty file', files.empty, /empty/],
]

for (const [what, file, message] of BAD_INPUTS) {
  test(`${what}: exit code 2, the file named, nothing on stdout with --json`, async (t) => {
    const [top, info] = await Promise.all([tm(['top', '--json', file]), tm(['info', file])])
    for (const r of [top, info]) {
      t.is(r.status, 2, r.stderr)
      t.true(r.stderr.includes(file), r.stderr)
      t.regex(r.stderr, message)
      t.notRegex(r.stderr, /internal error|\n\s+at /, 'no stack trace')
    }
    t.is(top.stdout, '')
  })
}

test('compare, convert and flamegraph name the bad file among good ones', async (t) => {
  const [cmp, conv, fg] = await Promise.all([
    tm(['compare', good, files.garbage]),
    tm(['convert', files.truncated, join(dir, 'out.csv')]),
    tm(['flamegraph', good, '--diff', files.foreign, '-o', join(dir, 'out.html')]),
  ])
  for (const [r, file] of [
    [cmp, files.garbage],
    [conv, files.truncated],
    [fg, files.foreign],
  ] as const) {
    t.is(r.status, 2, r.stderr)
    t.true(r.stderr.includes(file), r.stderr)
  }
})

test('bad usage: exit code 2 and a message naming the option', async (t) => {
  const cases: [string[], RegExp][] = [
    [['top', '--limt', '3', good], /Unknown option '--limt'/],
    [['top', '--limit', 'many', good], /--limit must be an integer/],
    [['top', '--limit'], /--limit/],
    [['top', '--key-type', 'colour', good], /--key-type must be one of .*traceback.*got "colour"/],
    [['top', '--domain', '-1', good], /--domain/],
    [['top'], /missing FILE/],
    [['top', good, good], /unexpected argument/],
    [['compare', good], /missing NEW/],
    [['compare', '--fail-over', 'lots', good, good], /--fail-over must be a size/],
    [['convert', good], /missing OUT/],
    [['flamegraph', good, '--min-fraction', '2', '-o', join(dir, 'f.html')], /--min-fraction/],
    [['info', '--json=yes', good], /--json/],
    [['run'], /no script to run/],
    [['run', '--nframe', '0', '--', 'x.js'], /--nframe must be an integer in \[1, 65535\]/],
    [['run', '--snapshot-every', '5', '--', 'x.js'], /--snapshot-every needs -o DIR/],
    [['run', '--snapshot-every', 'often', '-o', dir, '--', 'x.js'], /--snapshot-every must be a number of seconds/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [[], /Usage: tracemalloc <command>/],
  ]
  const results = await Promise.all(cases.map(([args]) => tm(args)))
  cases.forEach(([args, message], i) => {
    const r = results[i]!
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`)
    t.regex(r.stdout + r.stderr, message, args.join(' '))
  })
})

test('--help on every verb prints its usage on stdout with exit code 0', async (t) => {
  const results = await Promise.all(VERBS.map((verb) => tm([verb, '--help'])))
  VERBS.forEach((verb, i) => {
    const r = results[i]!
    t.is(r.status, 0, `${verb}: ${r.stderr}`)
    t.true(r.stdout.startsWith(`Usage: tracemalloc ${verb} `), r.stdout)
    t.regex(r.stdout, /--json/)
  })
  const [h, short] = await Promise.all([tm(['--help']), tm(['top', '-h'])])
  t.is(h.status, 0)
  for (const verb of VERBS) t.regex(h.stdout, new RegExp(`^  ${verb} `, 'm'))
  t.is(short.stdout, results[0]!.stdout)
})

test('--version prints the package version', async (t) => {
  const r = await tm(['--version'])
  t.is(r.status, 0)
  t.is(r.stdout.trim(), (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version)
})

test('no progress output when stderr is not a terminal: a successful --json run writes nothing to stderr', async (t) => {
  const r = await tm(['top', '--json', good])
  t.is(r.status, 0, r.stderr)
  t.is(r.stderr, '')
  t.is(JSON.parse(r.stdout).total.size, 4196)
})

test('a progress bar on stderr when it is a terminal (script(1) gives the command a pseudo-terminal)', async (t) => {
  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0
  if (!hasScript) {
    t.log('script(1) is not installed: the terminal case is not checked here')
    t.pass()
    return
  }
  // A .heapprofile import reports progress; convert the small snapshot to one first.
  const prof = join(dir, 'bar.heapprofile')
  new Snapshot([[0, 1 << 20, [['big.js', 1, 1, 'big']], 256]], 1).export(prof, 'heapprofile')
  const command = [process.execPath, cli, 'info', '--json', prof].map((a) => `'${a}'`).join(' ')
  const r = spawnSync('script', ['-qec', `${command} > ${join(dir, 'bar.json')}`, '/dev/null'], { encoding: 'utf8', cwd: root })
  t.is(r.status, 0, r.stdout + r.stderr)
  t.regex(r.stdout, /reading .*bar\.heapprofile \[#+-*\] +\d+%/)
  t.is(JSON.parse(readFileSync(join(dir, 'bar.json'), 'utf8')).kind, 'heapprofile', 'stdout still holds only the JSON')
})

test('a reader that stops early (| head) ends the command quietly with exit code 0', async (t) => {
  // Enough rows to outgrow a pipe's buffer: a real heap snapshot, by constructor.
  const heap = join(dir, 'many.heapsnapshot')
  const made = spawnSync(process.execPath, ['-e', `require('node:v8').writeHeapSnapshot(${JSON.stringify(heap)})`])
  t.is(made.status, 0, String(made.stderr))
  const command = [process.execPath, cli, 'top', '--limit', '0', '--key-type', 'traceback', heap].map((a) => `'${a}'`).join(' ')
  const r = spawnSync('bash', ['-c', `set -o pipefail; ${command} | head -c 10 > /dev/null`], { encoding: 'utf8' })
  t.is(r.status, 0, r.stderr)
  t.notRegex(r.stderr, /EPIPE|Unhandled/)
})
