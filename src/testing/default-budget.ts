/**
 * A default budget for every test (the runner integrations call these from
 * `beforeEach`/`afterEach`): the whole test is one measurement, judged
 * against `settings().defaultBudget` (`TRACEMALLOC_DEFAULT_BUDGET` or
 * `configure({ defaultBudget })`). A test that measures something itself
 * (a matcher, `measure`, `limitLeaks`) takes precedence: its default window
 * gives way and is not judged.
 * @module
 */
import { checkFigure } from './budget'
import { settings, type Budget, type Figure } from './config'
import { beginMeasurement, type OpenMeasurement } from './measure'

/** Starts the default-budget window of a test, or returns null when no default budget is set. */
export async function beginDefaultBudget(name: string, test: unknown, ignore: string[] = [], budget: Budget | null = settings().defaultBudget): Promise<OpenMeasurement | null> {
  if (!budget || Object.keys(budget).length === 0) return null
  return beginMeasurement({ name, test, soft: true, ignore })
}

/**
 * Ends a test's default-budget window and judges it; returns the error to
 * fail the test with, or null. `failed`: the test failed already (its window
 * is dropped).
 */
export async function endDefaultBudget(open: OpenMeasurement | null, failed = false, budget: Budget | null = settings().defaultBudget): Promise<Error | null> {
  if (!open) return null
  if (failed || open.superseded) {
    open.abandon()
    return null
  }
  const m = await open.end()
  const errors: string[] = []
  for (const [figure, limit] of Object.entries(budget ?? {}) as [Figure, string | number][]) {
    const v = checkFigure(m, figure, limit, { name: `${open.name} (default budget)` })
    if (v.error) errors.push(v.error.message)
  }
  return errors.length === 0 ? null : Object.assign(new Error(errors.join('\n\n')), { name: 'MemoryBudgetError' })
}
