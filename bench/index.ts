/**
 * `npm run bench`: every benchmark, each printing ratios against a baseline
 * measured in the same run. Not part of the test suite. `npm run bench --
 * snapshot`, `-- capture` or `-- stall` runs one of them.
 */
import { runCaptureBench } from './capture'
import { runSnapshotBench } from './snapshot'
import { runStallBench } from './stall'

const only = process.argv[2]
if (!only || only === 'snapshot') runSnapshotBench()
if (!only || only === 'capture') runCaptureBench()
if (!only || only === 'stall') runStallBench()
