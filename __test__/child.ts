/**
 * Child processes for tests of the host's side: run a fixture on each Node
 * binary under test, a few at a time, collecting status, signal and output.
 */
import { execFile, spawnSync } from 'node:child_process'
import { resolve } from 'node:path'

/** The package root. */
export const root = resolve(__dirname, '..')

/** This Node and every extra binary listed in TRACEMALLOC_TEST_NODES (colon-separated). */
export const nodes = [process.execPath, ...(process.env.TRACEMALLOC_TEST_NODES ?? '').split(':').filter(Boolean)]

/** `node --version` of a binary. */
export function version(node: string): string {
  return spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()
}

/** Path of a fixture of the host tests. */
export const hostFixture = (name: string): string => resolve(__dirname, 'fixtures/host', name)

/** Child processes at once: more would only slow each other down on a small machine. */
const MAX_CHILDREN = 2
let running = 0
const waiting: (() => void)[] = []

/** Runs `fn` when fewer than MAX_CHILDREN other children run. */
export async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_CHILDREN) await new Promise<void>((go) => waiting.push(go))
  running++
  try {
    return await fn()
  } finally {
    running--
    waiting.shift()?.()
  }
}

/** How a child ended, and what it printed. */
export interface Ran {
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs `node args` (in turn with other children), killed after `timeoutMs`. */
export function run(node: string, args: string[], env: Record<string, string> = {}, timeoutMs = 180_000): Promise<Ran> {
  return slot(
    () =>
      new Promise<Ran>((done) => {
        execFile(
          node,
          args,
          { cwd: root, env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20 },
          (err, stdout, stderr) => {
            const e = err as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null
            done({ status: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr })
          },
        )
      }),
  )
}

/** Runs a fixture that prints one JSON object, and parses it; throws when it fails. */
export async function runJson(node: string, args: string[], env: Record<string, string> = {}): Promise<any> {
  const r = await run(node, args, env)
  if (r.status !== 0) throw new Error(`${args.join(' ')} on ${node} exited ${r.status} ${r.signal ?? ''}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}
