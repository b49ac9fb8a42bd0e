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
import { parseRunArgs, UsageError, USAGE } from './args'
import { endLike, runTraced } from './run'

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  try {
    if (command === 'run') {
      endLike(await runTraced(parseRunArgs(rest)))
      return
    }
    if (command === undefined || command === '-h' || command === '--help') {
      process.stdout.write(USAGE)
      process.exitCode = command === undefined ? 2 : 0
      return
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)}`)
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`tracemalloc: error: ${e.message}\n\n${USAGE}`)
      process.exitCode = 2
      return
    }
    throw e
  }
}

void main(process.argv.slice(2))
