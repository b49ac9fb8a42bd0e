/**
 * What every runner integration does around each test: tell the
 * concurrency check which tests run, catch matcher calls that were not
 * awaited, and apply the default budget.
 * @module
 */
import { beginDefaultBudget, endDefaultBudget } from './default-budget'
import { settleUnawaited } from './matchers'
import type { OpenMeasurement } from './measure'
import { noteTestEnd, noteTestStart } from './scope'

const windows = new Map<unknown, OpenMeasurement | null>()

/** Call when a test starts (from `beforeEach`); `ignore`: the runner's own files (see `MeasureOptions.ignore`). */
export async function testStarted(test: unknown, name: string, ignore: string[] = []): Promise<void> {
  noteTestStart(test, name)
  try {
    windows.set(test, await beginDefaultBudget(name, test, ignore))
  } catch (e) {
    noteTestEnd(test)
    throw e
  }
}

/**
 * Call when a test ends (from `afterEach`): throws when a matcher call was
 * not awaited or the default budget is exceeded. `failed`: the test already
 * failed, so its default budget is not judged.
 */
export async function testEnded(test: unknown, failed = false): Promise<void> {
  const unawaited = await settleUnawaited(test)
  const open = windows.get(test) ?? null
  windows.delete(test)
  noteTestEnd(test)
  const overBudget = await endDefaultBudget(open, failed || unawaited !== null)
  if (unawaited) throw unawaited
  if (overBudget) throw overBudget
}
