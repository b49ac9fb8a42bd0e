/**
 * What the CLI tests share: running the built `tracemalloc` command (the
 * package's bin) in a child process, and making real input files: a native
 * snapshot by `tracemalloc run -o`, a `.heapprofile` by `node --heap-prof`,
 * and a `.heapsnapshot` by `v8.writeHeapSnapshot`, all of the same program.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

import { root, run, type Ran } from './child'

/** The built command, as `npx tracemalloc` runs it (package.json's bin). */
export const cli = resolve(root, (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin.tracemalloc!)

/** The growing program of the CLI tests. */
export const grow = resolve(__dirname, 'fixtures/cli/grow.js')

/** Runs `tracemalloc ...args`. */
export function tm(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return run(process.execPath, [cli, ...args], env)
}

/** Runs `tracemalloc ...args --json` expecting success, and parses stdout (which must be one JSON document). */
export async function tmJson(args: string[]): Promise<any> {
  const r = await tm([...args, '--json'])
  if (r.status !== 0) throw new Error(`tracemalloc ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

/** A fresh directory under the system temp dir, removed when the test process ends. */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tracemalloc-cli-test-'))
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Real input files, all of grow.js. */
export interface InputFiles {
  /** Written by `tracemalloc run --nframe 16 -o`. */
  native: string
  /** Written by `node --heap-prof`. */
  heapprofile: string
  /** Written by `v8.writeHeapSnapshot`. */
  heapsnapshot: string
}

/** Makes the {@link InputFiles} in `dir`. */
export async function makeInputFiles(dir: string): Promise<InputFiles> {
  const native = join(dir, 'run.tmsnap')
  const heapsnapshot = join(dir, 'grow.heapsnapshot')
  const profDir = join(dir, 'prof')
  const made = await Promise.all([
    tm(['run', '--nframe', '16', '-o', native, '--', grow], { GROW_MS: '500' }),
    run(process.execPath, ['--heap-prof', '--heap-prof-interval=4096', `--heap-prof-dir=${profDir}`, grow], { GROW_MS: '500' }),
    run(process.execPath, [grow], { GROW_MS: '300', HEAPSNAPSHOT: heapsnapshot }),
  ])
  for (const r of made) if (r.status !== 0) throw new Error(`making the input files failed (${r.status}): ${r.stderr}`)
  const profiles = readdirSync(profDir).filter((f) => f.endsWith('.heapprofile'))
  if (profiles.length !== 1) throw new Error(`node --heap-prof wrote ${profiles.join(', ') || 'nothing'}`)
  return { native, heapprofile: join(profDir, profiles[0]!), heapsnapshot }
}
