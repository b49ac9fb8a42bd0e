/**
 * `npm run bench`: every benchmark, each printing ratios against a baseline
 * measured in the same run. Not part of the test suite.
 */
import { runSnapshotBench } from './snapshot'

runSnapshotBench()
