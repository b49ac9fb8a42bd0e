/**
 * `npm run bench`: every benchmark, each printing ratios against a baseline
 * measured in the same run. Not part of the test suite. `npm run bench --
 * snapshot`, `-- capture` or `-- format` runs one of them.
 */
import { runCaptureBench } from './capture'
import { runFormatBench } from './format'
import { runSnapshotBench } from './snapshot'

const only = process.argv[2]
if (!only || only === 'snapshot') runSnapshotBench()
if (!only || only === 'capture') runCaptureBench()
if (!only || only === 'format') runFormatBench().catch((e) => ((process.exitCode = 1), console.error(e)))
