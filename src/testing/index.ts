/**
 * `tracemalloc/testing`: memory budgets for test suites.
 *
 * - {@link measure}: what a function allocated, peaked at and retained, with the sites behind each figure.
 * - {@link limitMemory} (peak), {@link limitAllocated}, {@link limitRetained}, {@link limitLeaks} (linear growth
 *   per site over repeated runs) and {@link allocsPerRun}.
 * - Runner integrations on top: `tracemalloc/testing/vitest`, `/jest` (and the `tracemalloc/jest-preset`),
 *   `/node-test` and `/ava`.
 *
 * See docs/testing.md for what each figure means and how far to trust it.
 * @module
 */
export { measure, type Measurement, type MeasureOptions } from './measure'
export { limitMemory, limitAllocated, limitRetained, limitLeaks, allocsPerRun, judgeLeaks, type AllocsPerRun, type LimitOptions, type LimitLeaksOptions } from './limits'
export { detectGrowth, type LeakOptions, type LeakReport, type GrowingSite } from './leaks'
export { MemoryBudgetError, checkFigure, type BudgetOptions, type Verdict } from './budget'
export { ConcurrentMeasurementError } from './scope'
export { configure, settings, parseBudget, DEFAULT_CAPTURE, type Budget, type Figure, type TestingSettings, type CaptureSettings } from './config'
export { parseBytes, formatBytes, type ByteLimit } from './units'
export { forceGc } from './gc'
export { saveSnapshot } from './files'
export type { Site } from './sites'
export type { HeapFigures } from './heap-window'
export type { BudgetMatcherOptions, NotLeakOptions, MatcherResult, MatcherThis, MemoryMatchers } from './matchers'
