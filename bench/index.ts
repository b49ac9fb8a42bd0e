/**
 * `npm run bench`: every benchmark, each printing ratios against a baseline
 * measured in the same run. Not part of the test suite. `npm run bench --
 * snapshot` (or `capture`, `format`, `import`, `export`, ...) runs one of them.
 */
import { runStabilityBench } from './budget-stability'
import { runCaptureBench } from './capture'
import { runExportBench } from './export'
import { runFormatBench } from './format'
import { runImportBench } from './import'
import { runNframeBench } from './nframe'
import { runSnapshotBench } from './snapshot'
import { runStallBench } from './stall'

const BENCHES: [name: string, run: () => void | Promise<void>][] = [
  ['snapshot', runSnapshotBench],
  ['capture', runCaptureBench],
  ['format', runFormatBench],
  ['import', runImportBench],
  ['export', runExportBench],
  ['stability', runStabilityBench],
  ['stall', runStallBench],
  ['nframe', runNframeBench],
]

/** Runs the benchmark named on the command line, or all of them, one after the other (async ones awaited). */
async function main(only: string | undefined): Promise<void> {
  if (only && !BENCHES.some(([name]) => name === only)) {
    throw new Error(`no benchmark named '${only}': ${BENCHES.map(([name]) => name).join(', ')}`)
  }
  for (const [name, run] of BENCHES) if (!only || only === name) await run()
}

main(process.argv[2]).catch((e) => {
  process.exitCode = 1
  console.error(e)
})
