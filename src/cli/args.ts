/**
 * Arguments of `tracemalloc run`.
 * @module
 */
import type { KeyType } from '../snapshot'

/** The usage text. */
export const USAGE = `Usage: tracemalloc run [options] -- <script> [args...]

Runs a Node.js script with allocation tracing and prints the top
allocation sites when it ends (to stderr), however it ends. SIGINT,
SIGTERM and SIGHUP are passed on to the script; tracemalloc run exits
with the script's exit code, or dies by the signal that ended it.

Options:
  --nframe N        frames kept per traceback (1-65535, default 128)
  --exact           exact mode: V8's allocation tracker (much slower)
  --interval BYTES  mean bytes between samples in sampled mode
  --top N           rows in the report (default 10)
  --key-type KEY    filename, lineno, traceback, function or package (default lineno)
  -o FILE           write the snapshot to FILE (needs the snapshot file format)
`

/** A command line that cannot be run; the message says why. */
export class UsageError extends Error {}

/** Parsed `run` arguments. */
export interface RunArgs {
  nframe: number
  exact: boolean
  interval: number | undefined
  top: number
  keyType: KeyType
  output: string | undefined
  script: string
  args: string[]
}

/**
 * Default traceback limit of `run`: deep enough to reach the code that
 * called a parser or a framework (acorn and typescript need more than 10
 * frames; 128 reaches the caller for all their bytes), at no cost measured
 * in sampled mode (`npm run bench -- nframe`).
 */
export const DEFAULT_RUN_NFRAME = 128

const KEY_TYPES = ['filename', 'lineno', 'traceback', 'function', 'package']

function integer(flag: string, value: string | undefined, min: number, max: number): number {
  if (value === undefined) throw new UsageError(`${flag} needs a value`)
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`${flag} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`)
  return n
}

/** Parses `run`'s options, then `--` (optional) and the script with its arguments. */
export function parseRunArgs(argv: string[]): RunArgs {
  const a: RunArgs = { nframe: DEFAULT_RUN_NFRAME, exact: false, interval: undefined, top: 10, keyType: 'lineno', output: undefined, script: '', args: [] }
  let i = 0
  for (; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      i++
      break
    }
    if (!arg.startsWith('-')) break
    const next = () => argv[++i]
    switch (arg) {
      case '--nframe':
        a.nframe = integer(arg, next(), 1, 65535)
        break
      case '--exact':
        a.exact = true
        break
      case '--interval':
        a.interval = integer(arg, next(), 1, 2 ** 30)
        break
      case '--top':
        a.top = integer(arg, next(), 1, 1_000_000)
        break
      case '--key-type': {
        const k = next()
        if (k === undefined || !KEY_TYPES.includes(k)) throw new UsageError(`--key-type must be one of ${KEY_TYPES.join(', ')}`)
        a.keyType = k as KeyType
        break
      }
      case '-o':
      case '--output':
        a.output = next()
        if (a.output === undefined) throw new UsageError(`${arg} needs a file name`)
        break
      default:
        throw new UsageError(`unknown option ${arg}`)
    }
  }
  if (i >= argv.length) throw new UsageError('no script to run')
  a.script = argv[i]!
  a.args = argv.slice(i + 1)
  if (a.output !== undefined) {
    throw new UsageError(`-o ${a.output}: writing snapshots needs the snapshot file format, which is not implemented yet`)
  }
  return a
}
