/**
 * Arguments of `tracemalloc run`: its options (parsed by `node:util`
 * `parseArgs`), then the script and the script's own arguments, which are
 * left alone. The options end at `--` or at the first argument that is not
 * an option or an option's value.
 * @module
 */
import { statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'

import { KEY_TYPES, type KeyType } from '../snapshot'
import { COMMON_USAGE, integerOption, parseVerbArgs, stringOption, type Options, type Verb } from './command'
import { UsageError } from './errors'

/** The usage text. */
export const USAGE = `Usage: tracemalloc run [options] [--] <script> [args...]

Runs a Node.js script with allocation tracing and prints the top
allocation sites when it ends (to stderr), however it ends. SIGINT,
SIGTERM and SIGHUP are passed on to the script; tracemalloc run exits
with the script's exit code, or dies by the signal that ended it. The
report (and -o) is made on every way out, signals included.

Options:
  --nframe N        frames kept per traceback (1-65535, default 128)
  --exact           exact mode: V8's allocation tracker (much slower)
  --interval BYTES  mean bytes between samples in sampled mode
  --top N           rows in the report (default 10)
  --key-type KEY    ${KEY_TYPES.join(', ')} (default lineno); traceback
                    prints each row's whole traceback
  -o, --output PATH write the final snapshot to PATH (tracemalloc's format,
                    for top, compare, convert...); with --snapshot-every, PATH
                    is a directory that gets a numbered series
  --snapshot-every SECONDS
                    also write a snapshot every SECONDS while the script runs
                    (PATH/snapshot-0001.tmsnap, ...; the final one comes last)
${COMMON_USAGE.replace('--json            print only JSON on stdout (messages go to stderr)', '--json            print the report as JSON on stdout; the script\'s own stdout\n                    goes to stderr')}
`

/** Parsed `run` arguments. */
export interface RunArgs {
  nframe: number
  exact: boolean
  interval: number | undefined
  top: number
  keyType: KeyType
  /** `-o`, absolute: a file, or with {@link snapshotEvery} a directory. */
  output: string | undefined
  /** Seconds between snapshots of the series, if any. */
  snapshotEvery: number | undefined
  json: boolean
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

/** `run`'s options, for `parseArgs`. */
export const RUN_OPTIONS: Options = {
  nframe: { type: 'string' },
  exact: { type: 'boolean' },
  interval: { type: 'string' },
  top: { type: 'string' },
  'key-type': { type: 'string' },
  output: { type: 'string', short: 'o' },
  'snapshot-every': { type: 'string' },
}

/** `run` as a {@link Verb} for parsing (its `run` is in `main.ts`). */
const RUN_VERB: Verb = { name: 'run', summary: '', usage: USAGE, options: RUN_OPTIONS, run: async () => 0 }

/** Where the options end: the index of the script in `argv`, and of its first argument. */
function scriptAt(argv: string[]): { optionsEnd: number; script: number } | undefined {
  const { tokens } = parseArgs({ args: argv, options: RUN_OPTIONS, strict: false, allowPositionals: true, tokens: true })
  for (const t of tokens) {
    if (t.kind === 'positional') return { optionsEnd: t.index, script: t.index }
    if (t.kind === 'option-terminator') return { optionsEnd: t.index, script: t.index + 1 }
  }
  return undefined
}

/** Checks that `-o FILE` can be written: its directory exists. */
function checkOutputFile(file: string): void {
  let st
  try {
    st = statSync(dirname(file))
  } catch {
    throw new UsageError(`-o ${file}: the directory ${dirname(file)} does not exist`)
  }
  if (!st.isDirectory()) throw new UsageError(`-o ${file}: ${dirname(file)} is not a directory`)
}

/** Parses `run`'s arguments; `'help'` when `--help` was asked for. */
export function parseRunArgs(argv: string[]): RunArgs | 'help' {
  const at = scriptAt(argv)
  const { values } = parseVerbArgs(RUN_VERB, argv.slice(0, at?.optionsEnd ?? argv.length))
  if (values.help === true) return 'help'
  if (at === undefined || at.script >= argv.length) throw new UsageError('no script to run')
  const keyType = stringOption(values, 'key-type') ?? 'lineno'
  if (!KEY_TYPES.includes(keyType)) throw new UsageError(`--key-type must be one of ${KEY_TYPES.join(', ')}, got ${JSON.stringify(keyType)}`)
  const every = stringOption(values, 'snapshot-every')
  let snapshotEvery: number | undefined
  if (every !== undefined) {
    snapshotEvery = Number(every)
    if (every.trim() === '' || !Number.isFinite(snapshotEvery) || snapshotEvery < 0.1 || snapshotEvery > 2 ** 31 / 1000) {
      throw new UsageError(`--snapshot-every must be a number of seconds, at least 0.1, got ${JSON.stringify(every)}`)
    }
  }
  const out = stringOption(values, 'output')
  if (snapshotEvery !== undefined && out === undefined) throw new UsageError('--snapshot-every needs -o DIR, the directory of the series')
  const output = out === undefined ? undefined : resolve(out)
  if (output !== undefined && snapshotEvery === undefined) checkOutputFile(output)
  return {
    nframe: integerOption(values, 'nframe', 1, 65535, DEFAULT_RUN_NFRAME),
    exact: values.exact === true,
    interval: integerOption(values, 'interval', 1, 2 ** 30),
    top: integerOption(values, 'top', 1, 1_000_000, 10),
    keyType: keyType as KeyType,
    output,
    snapshotEvery,
    json: values.json === true,
    script: argv[at.script]!,
    args: argv.slice(at.script + 1),
  }
}
