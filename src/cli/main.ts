#!/usr/bin/env node
/**
 * The `tracemalloc` command.
 *
 *     tracemalloc run [--nframe N] [--exact] [--interval BYTES] [--top 10]
 *                     [--key-type lineno] [-o FILE] -- <script> [args]
 *
 * runs a script traced and prints the top allocation sites when it ends.
 * @module
 */
import { spawnSync } from 'node:child_process'

import { parseRunArgs, UsageError, USAGE } from './args'

function run(argv: string[]): number {
  const a = parseRunArgs(argv)
  const register = require.resolve('../register')
  const r = spawnSync(process.execPath, ['--require', register, a.script, ...a.args], {
    stdio: 'inherit',
    env: {
      ...process.env,
      TRACEMALLOC: String(a.nframe),
      TRACEMALLOC_MODE: a.exact ? 'exact' : 'sampled',
      TRACEMALLOC_INTERVAL: a.interval === undefined ? '' : String(a.interval),
      TRACEMALLOC_REPORT: JSON.stringify({ top: a.top, keyType: a.keyType }),
    },
  })
  if (r.error) throw r.error
  if (r.signal) {
    process.kill(process.pid, r.signal)
    return 1
  }
  return r.status ?? 1
}

function main(argv: string[]): number {
  const [command, ...rest] = argv
  try {
    if (command === 'run') return run(rest)
    if (command === undefined || command === '-h' || command === '--help') {
      process.stdout.write(USAGE)
      return command === undefined ? 2 : 0
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)}`)
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`tracemalloc: error: ${e.message}\n\n${USAGE}`)
      return 2
    }
    throw e
  }
}

process.exitCode = main(process.argv.slice(2))
