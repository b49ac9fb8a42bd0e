/**
 * Settings of `tracemalloc/testing`: defaults, then the environment, then
 * {@link configure} calls (a setup file's).
 *
 * | variable | meaning |
 * | --- | --- |
 * | `TRACEMALLOC_TEST_MODE` | `sampled` or `exact`: capture mode of measurements |
 * | `TRACEMALLOC_TEST_INTERVAL` | sampling interval in bytes (sampled mode) |
 * | `TRACEMALLOC_UPDATE=1` | record measured values as the new baselines |
 * | `TRACEMALLOC_BUDGETS` | baseline file (default `memory-budgets.json` in the current directory) |
 * | `TRACEMALLOC_REPORT_DIR` | where failing measurements' snapshots go (default `<tmpdir>/tracemalloc-budgets`) |
 * | `TRACEMALLOC_RESULTS` | write every measurement to this JSON file, for dashboards |
 * | `TRACEMALLOC_DEFAULT_BUDGET` | a budget for every test, e.g. `peak=50MB,retained=1MB` |
 * @module
 */
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

import { parseBytes, type ByteLimit } from './units'

/** Figures a budget can limit. */
export type Figure = 'allocated' | 'peak' | 'retained'

/** Limits on the figures of one test. */
export type Budget = Partial<Record<Figure, ByteLimit>>

/** Capture settings of measurements. */
export interface CaptureSettings {
  /** `'sampled'` or `'exact'`. */
  mode: 'sampled' | 'exact'
  /** Mean bytes between samples in sampled mode. */
  samplingInterval: number
  /** Frames kept per allocation stack. */
  nframe: number
}

/** Everything {@link configure} can set. */
export interface TestingSettings extends CaptureSettings {
  /** Sites listed in a failure message. */
  top: number
  /** Baseline file (`memory-budgets.json`). */
  budgetsFile: string
  /** Record measured values as baselines instead of checking them. */
  update: boolean
  /** Default relative tolerance of baselines (0.1 = 10%). */
  tolerance: number
  /** Directory for failing measurements' snapshot files. */
  reportDir: string
  /** File that receives every measurement as JSON, or null. */
  resultsFile: string | null
  /** A budget every test gets through the runner integrations, or null. */
  defaultBudget: Budget | null
}

/**
 * The default capture for tests: sampled at 512 B. Chosen from
 * `npm run bench -- stability` (docs/testing.md): over 10 fresh runs of the
 * same test, retained bytes spread at most 5.7% at 512 B (CV 2.1%), against
 * 10% at 1 KiB and 17-49% at 4 KiB and more; exact mode costs 2-4 s per
 * check (heap snapshots) and today loses live objects (16% spread).
 */
export const DEFAULT_CAPTURE: CaptureSettings = { mode: 'sampled', samplingInterval: 512, nframe: 5 }

const FIGURES: readonly Figure[] = ['allocated', 'peak', 'retained']

/** Parses `peak=50MB,retained=1MB` (or a JSON object) into a budget; throws naming the bad part. */
export function parseBudget(text: string, what = 'TRACEMALLOC_DEFAULT_BUDGET'): Budget {
  const t = text.trim()
  const entries: [string, unknown][] = t.startsWith('{')
    ? Object.entries(JSON.parse(t) as Record<string, unknown>)
    : t
        .split(',')
        .filter((p) => p.trim() !== '')
        .map((p) => {
          const i = p.indexOf('=')
          if (i < 0) throw new RangeError(`${what}: expected figure=limit, got ${JSON.stringify(p.trim())}`)
          return [p.slice(0, i).trim(), p.slice(i + 1).trim()]
        })
  const budget: Budget = {}
  for (const [k, v] of entries) {
    if (!(FIGURES as readonly string[]).includes(k)) {
      throw new RangeError(`${what}: unknown figure ${JSON.stringify(k)} (expected allocated, peak or retained)`)
    }
    parseBytes(v, `${what}: ${k}`)
    budget[k as Figure] = v as ByteLimit
  }
  return budget
}

function fromEnv(env: NodeJS.ProcessEnv): TestingSettings {
  const mode = env.TRACEMALLOC_TEST_MODE || DEFAULT_CAPTURE.mode
  if (mode !== 'sampled' && mode !== 'exact') {
    throw new RangeError(`TRACEMALLOC_TEST_MODE must be 'sampled' or 'exact', not ${JSON.stringify(mode)}`)
  }
  let interval = DEFAULT_CAPTURE.samplingInterval
  if (env.TRACEMALLOC_TEST_INTERVAL) {
    interval = parseBytes(env.TRACEMALLOC_TEST_INTERVAL, 'TRACEMALLOC_TEST_INTERVAL')
    if (!Number.isInteger(interval) || interval < 1) throw new RangeError(`TRACEMALLOC_TEST_INTERVAL must be at least 1 byte, got ${JSON.stringify(env.TRACEMALLOC_TEST_INTERVAL)}`)
  }
  return {
    mode,
    samplingInterval: interval,
    nframe: DEFAULT_CAPTURE.nframe,
    top: 10,
    budgetsFile: resolve(env.TRACEMALLOC_BUDGETS || 'memory-budgets.json'),
    update: env.TRACEMALLOC_UPDATE === '1' || env.TRACEMALLOC_UPDATE === 'true',
    tolerance: 0.1,
    reportDir: resolve(env.TRACEMALLOC_REPORT_DIR || join(tmpdir(), 'tracemalloc-budgets')),
    resultsFile: env.TRACEMALLOC_RESULTS ? resolve(env.TRACEMALLOC_RESULTS) : null,
    defaultBudget: env.TRACEMALLOC_DEFAULT_BUDGET ? parseBudget(env.TRACEMALLOC_DEFAULT_BUDGET) : null,
  }
}

let current: TestingSettings | undefined

/** The settings in force (read from the environment on first use). */
export function settings(): TestingSettings {
  return (current ??= fromEnv(process.env))
}

/**
 * Changes settings for this process (for example in a runner's setup file).
 * Paths are resolved against the current directory; limits are checked now.
 */
export function configure(changes: Partial<TestingSettings>): TestingSettings {
  const next = { ...settings(), ...changes }
  if (next.mode !== 'sampled' && next.mode !== 'exact') throw new RangeError(`mode must be 'sampled' or 'exact', not ${String(next.mode)}`)
  if (!Number.isInteger(next.samplingInterval) || next.samplingInterval < 1) {
    throw new RangeError(`samplingInterval must be a positive integer number of bytes, got ${String(next.samplingInterval)}`)
  }
  if (!Number.isInteger(next.nframe) || next.nframe < 1 || next.nframe > 65535) throw new RangeError(`nframe must be an integer in [1, 65535], got ${String(next.nframe)}`)
  if (!Number.isInteger(next.top) || next.top < 0) throw new RangeError(`top must be a non-negative integer, got ${String(next.top)}`)
  if (!(next.tolerance >= 0 && Number.isFinite(next.tolerance))) throw new RangeError(`tolerance must be a non-negative number (0.1 is 10%), got ${String(next.tolerance)}`)
  if (next.defaultBudget) for (const [k, v] of Object.entries(next.defaultBudget)) parseBytes(v, `defaultBudget.${k}`)
  next.budgetsFile = resolve(next.budgetsFile)
  next.reportDir = resolve(next.reportDir)
  next.resultsFile = next.resultsFile === null ? null : resolve(next.resultsFile)
  current = next
  return next
}

/** Forgets {@link configure} calls and reads the environment again (for tests). */
export function resetSettings(): void {
  current = undefined
}
