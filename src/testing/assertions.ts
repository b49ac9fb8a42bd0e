/**
 * Budget assertions as plain async functions of a test's name and id, for
 * runners without `expect.extend` (node:test, ava): each throws a
 * {@link MemoryBudgetError} with the full report, or a
 * {@link ConcurrentMeasurementError}.
 * @module
 */
import { checkFigure } from './budget'
import type { Figure } from './config'
import { detectGrowth } from './leaks'
import { judgeLeaks } from './limits'
import { trackCall, type BudgetMatcherOptions, type NotLeakOptions } from './matchers'
import { measure } from './measure'
import { parseBytes, type ByteLimit } from './units'

/** The test an assertion runs in: its name (for messages and baselines) and the runner's id of it. */
export interface TestRef {
  name: string
  id: unknown
  /** Filename patterns of the runner's own code, left out of measurements. */
  ignore?: string[]
}

/** Measures `fn` and throws when `figure` exceeds `limit`. Resolves to the measured bytes. */
export function assertFigure(test: TestRef, figure: Figure, assertion: string, fn: unknown, limit: ByteLimit, options: BudgetMatcherOptions = {}): Promise<number> {
  if (typeof fn !== 'function') return Promise.reject(new TypeError(`${assertion}(fn, limit): fn must be a function, not ${fn === null ? 'null' : typeof fn}`))
  parseBytes(limit, `${assertion}(limit)`)
  const at = new Error().stack
  return trackCall(assertion, test.id, at, async () => {
    const name = options.name ?? test.name
    const m = await measure(fn as () => unknown, { ...options, name, test: test.id, ignore: [...(options.ignore ?? []), ...(test.ignore ?? [])] })
    const v = checkFigure(m, figure, limit, { name, tolerance: options.tolerance })
    if (v.error) throw v.error
    return m[figure]
  }, Number.NaN)
}

/** Runs `fn` repeatedly and throws when a site's live bytes grow linearly with the runs. Resolves to the fastest growth per run. */
export function assertNoLeak(test: TestRef, assertion: string, fn: unknown, options: NotLeakOptions = {}): Promise<number> {
  if (typeof fn !== 'function') return Promise.reject(new TypeError(`${assertion}(fn): fn must be a function, not ${fn === null ? 'null' : typeof fn}`))
  const limit = options.limit ?? 0
  parseBytes(limit, `${assertion}({ limit })`)
  const at = new Error().stack
  return trackCall(assertion, test.id, at, async () => {
    const name = options.name ?? test.name
    const { limit: _l, tolerance, ...leakOptions } = options
    const r = await detectGrowth(fn as () => unknown, { ...leakOptions, name, test: test.id, ignore: [...(leakOptions.ignore ?? []), ...(test.ignore ?? [])] })
    const v = judgeLeaks(r, limit, { name, tolerance })
    if (v.error) throw v.error
    return Math.max(0, ...r.growing.map((s) => s.perIteration))
  }, Number.NaN)
}
