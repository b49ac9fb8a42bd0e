/**
 * ava integration: macros for `test` (best with `test.serial`, see below).
 *
 * ```js
 * const test = require('ava')
 * const { allocatesAtMost, peaksAtMost, retainsAtMost, doesNotLeak } = require('tracemalloc/testing/ava')
 * test.serial('parse stays small', retainsAtMost, () => parse(input), '1 MB')
 * test.serial('no leak', doesNotLeak, () => handle(request), { iterations: 50 })
 * ```
 *
 * ava runs the tests of a file concurrently unless they are `test.serial`,
 * and one process's heap cannot tell concurrent tests apart, so importing
 * this module adds `beforeEach`/`afterEach` hooks to the file that refuse a
 * measurement while another test runs, and apply the default budget
 * (`TRACEMALLOC_DEFAULT_BUDGET`) to each test. Each file runs in its own
 * process or worker thread, with a heap of its own, so files never mix.
 * @module
 */
import type { ExecutionContext, Macro, TestFn } from 'ava'

import { assertFigure, assertNoLeak } from './assertions'
import { MemoryBudgetError } from './budget'
import { ConcurrentMeasurementError } from './scope'
import type { Figure } from './config'
import type { BudgetMatcherOptions, NotLeakOptions } from './matchers'
import { testEnded, testStarted } from './runner-hooks'
import { describeLimit, parseBytes, type ByteLimit } from './units'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const test = require('ava') as TestFn

/** ava's own files, left out of measurements. */
const ignore = ['*/node_modules/ava/*', '*/node_modules/@ava/*', '*/node_modules/emittery/*']

/** ava's title of a hook's test: hooks see `beforeEach hook for <title>`. */
function testTitle(t: ExecutionContext): string {
  return t.title.replace(/^(?:before|after)Each(?:\.always)? hook for /, '')
}

/** Runs an assertion; a budget or concurrency failure becomes `t.fail(message)`, which ava prints as it is. */
async function failing(t: ExecutionContext, run: () => Promise<string>): Promise<void> {
  try {
    t.log(await run())
    t.pass()
  } catch (e) {
    if (e instanceof MemoryBudgetError || e instanceof ConcurrentMeasurementError) t.fail(e.message)
    else throw e
  }
}

function figureMacro(figure: Figure, assertion: string): Macro<[fn: () => unknown, limit: ByteLimit, options?: BudgetMatcherOptions]> {
  return test.macro({
    async exec(t, fn, limit, options) {
      await failing(t, async () => `${figure}: ${await assertFigure({ name: t.title, id: t.title, ignore }, figure, assertion, fn, limit, options)} B`)
    },
    title(provided, _fn, limit) {
      return provided ?? `${figure} at most ${describeLimit(limit, parseBytes(limit))}`
    },
  })
}

/** Fails when `fn` allocates more than `limit`, collected objects included. */
export const allocatesAtMost = figureMacro('allocated', 'allocatesAtMost')
/** Fails when the JS heap's high-water mark while `fn` runs exceeds `limit` above the start. */
export const peaksAtMost = figureMacro('peak', 'peaksAtMost')
/** Fails when `fn` leaves more than `limit` live after a full GC. */
export const retainsAtMost = figureMacro('retained', 'retainsAtMost')

/** Fails when an allocation site's live bytes grow linearly with the runs of `fn`. */
export const doesNotLeak: Macro<[fn: () => unknown, options?: NotLeakOptions]> = test.macro({
  async exec(t, fn, options) {
    await failing(t, async () => `fastest-growing site: ${await assertNoLeak({ name: t.title, id: t.title, ignore }, 'doesNotLeak', fn, options)} B per run`)
  },
  title(provided) {
    return provided ?? 'does not leak'
  },
})

test.beforeEach(async (t) => {
  await testStarted(testTitle(t), testTitle(t), ignore)
})
test.afterEach.always(async (t) => {
  await testEnded(testTitle(t), !t.passed)
})
