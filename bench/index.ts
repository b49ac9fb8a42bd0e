/**
 * `npm run bench`: every benchmark, each printing ratios against a baseline
 * measured in the same run. Not part of the test suite. `npm run bench --
 * snapshot` (or `capture`, `import`, `export`, ...) runs one of them.
 */
import { runStabilityBench } from './budget-stability'
import { runCaptureBench } from './capture'
import { runExportBench } from './export'
import { runImportBench } from './import'
import { runNframeBench } from './nframe'
import { runSnapshotBench } from './snapshot'
import { runStallBench } from './stall'

const only = process.argv[2]
if (!only || only === 'snapshot') runSnapshotBench()
if (!only || only === 'capture') runCaptureBench()
if (!only || only === 'import') runImportBench()
if (!only || only === 'export') void runExportBench()
if (!only || only === 'stability') runStabilityBench()
if (!only || only === 'stall') runStallBench()
if (!only || only === 'nframe') runNframeBench()
