#!/usr/bin/env node
/**
 * The `tracemalloc` command: `run` traces a script; `top`, `compare`,
 * `convert`, `flamegraph` and `info` read snapshot files (tracemalloc's own,
 * V8 `.heapprofile` and `.heapsnapshot`). See `docs/cli.md`.
 *
 * Exit codes: 0 ok, 1 a failed check, 2 a usage or input error (`run`
 * passes the script's own exit code through instead).
 * @module
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

import { parseRunArgs, USAGE as RUN_USAGE } from './args'
import { parseVerbArgs, type Verb } from './command'
import { compare } from './compare'
import { convert } from './convert'
import { EXIT_FAILED, EXIT_USAGE, InputError, UsageError } from './errors'
import { flamegraph } from './flamegraph'
import { info } from './info'
import { endLike, runTraced } from './run'
import { top } from './top'

/** The verbs that read snapshot files. */
const VERBS: Record<string, Verb> = Object.fromEntries([top, compare, convert, flamegraph, info].map((v) => [v.name, v]))

/** The command's overall usage. */
const USAGE = `Usage: tracemalloc <command> [options] ...

Commands:
  run         trace a Node.js script and report its top allocation sites
${Object.entries(VERBS)
  .map(([name, v]) => `  ${name.padEnd(11)} ${v.summary}`)
  .join('\n')}

Snapshot files may be tracemalloc's own (run -o, snapshot.dump), V8
.heapprofile (node --heap-prof) or V8 .heapsnapshot files.
Every command takes --json (only JSON on stdout) and --help.
Exit codes: 0 ok, 1 a check failed, 2 a usage or input error.

  tracemalloc --version       print the version
  tracemalloc <command> --help
`

/** The package's version. */
function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }
  return pkg.version
}

/** Runs `tracemalloc run`: exits (or dies) like the script. */
async function runVerb(argv: string[]): Promise<void> {
  const a = parseRunArgs(argv)
  if (a === 'help') {
    process.stdout.write(RUN_USAGE)
    return
  }
  if (a.output !== undefined && a.snapshotEvery !== undefined) {
    try {
      mkdirSync(a.output, { recursive: true })
    } catch (e) {
      throw new UsageError(`-o ${a.output}: cannot make the directory: ${(e as Error).message}`)
    }
  }
  endLike(await runTraced(a))
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  let usage = USAGE
  try {
    if (command === 'run') {
      usage = RUN_USAGE
      await runVerb(rest)
      return
    }
    if (command === '--version' || command === '-v') {
      process.stdout.write(`${version()}\n`)
      return
    }
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      process.stdout.write(USAGE)
      process.exitCode = command === undefined ? EXIT_USAGE : 0
      return
    }
    const verb = Object.hasOwn(VERBS, command) ? VERBS[command] : undefined
    if (verb === undefined) throw new UsageError(`unknown command ${JSON.stringify(command)}`)
    usage = verb.usage
    const { values, positionals } = parseVerbArgs(verb, rest)
    if (values.help === true) {
      process.stdout.write(verb.usage)
      return
    }
    process.exitCode = await verb.run(values, positionals)
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`tracemalloc: error: ${e.message}\n\n${usage}`)
      process.exitCode = EXIT_USAGE
    } else if (e instanceof InputError) {
      process.stderr.write(`tracemalloc: error: ${e.message}\n`)
      process.exitCode = EXIT_USAGE
    } else {
      process.stderr.write(`tracemalloc: internal error: ${(e as Error)?.stack ?? String(e)}\n`)
      process.exitCode = EXIT_FAILED
    }
  }
}

// A reader that stops early (`tracemalloc top ... | head -1`) closes the
// pipe: end quietly, as other commands do, rather than with a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e
  process.exit(process.exitCode ?? 0)
})

void main(process.argv.slice(2))
