/**
 * node:test integration.
 *
 * `memory(t)` gives a test's budget assertions, on every Node version:
 * `await memory(t).allocatesAtMost(fn, '2 MB')`, `peaksAtMost`,
 * `retainsAtMost` and `doesNotLeak(fn, { iterations })`. On Node 22.14+
 * (and 23.7+) importing this module also registers them with
 * `test.assert.register`, as `t.assert.allocatesAtMost(fn, '2 MB')` and so
 * on; Node 20 has no `register`, hence `memory(t)`.
 *
 * Importing it also adds global `beforeEach`/`afterEach` hooks (for the
 * whole process when preloaded with `node --import tracemalloc/testing/node-test --test`,
 * else for the importing file): they refuse measurements while other tests
 * run (`concurrency`), fail a test whose assertion was not awaited, and
 * apply the default budget (`TRACEMALLOC_DEFAULT_BUDGET`).
 * @module
 */
import * as nodeTest from 'node:test'

import { assertFigure, assertNoLeak, type TestRef } from './assertions'
import type { BudgetMatcherOptions, NotLeakOptions } from './matchers'
import { testEnded, testStarted } from './runner-hooks'
import type { ByteLimit } from './units'

/** The part of node:test's `TestContext` used here. */
export interface Context {
  /** The test's name. */
  name: string
  /** The test's name with its suites' (Node 22+). */
  fullName?: string
}

/** A test's budget assertions; each resolves to the measured bytes (per run for `doesNotLeak`). */
export interface MemoryAssertions {
  /** Throws when `fn` allocates more than `limit`, collected objects included. */
  allocatesAtMost(fn: () => unknown, limit: ByteLimit, options?: BudgetMatcherOptions): Promise<number>
  /** Throws when the JS heap's high-water mark while `fn` runs exceeds `limit` above the start. */
  peaksAtMost(fn: () => unknown, limit: ByteLimit, options?: BudgetMatcherOptions): Promise<number>
  /** Throws when `fn` leaves more than `limit` live after a full GC. */
  retainsAtMost(fn: () => unknown, limit: ByteLimit, options?: BudgetMatcherOptions): Promise<number>
  /** Throws when an allocation site's live bytes grow linearly with the runs of `fn`. */
  doesNotLeak(fn: () => unknown, options?: NotLeakOptions): Promise<number>
}

function refOf(t: Context): TestRef {
  // Node's own test runner code is node: internal code, which sites skip already.
  return { name: t.fullName ?? t.name, id: t }
}

/** The budget assertions of test context `t`. */
export function memory(t: Context): MemoryAssertions {
  if (t === null || typeof t !== 'object' || typeof t.name !== 'string') throw new TypeError('memory(t): t must be the TestContext that node:test passes to the test function')
  const ref = refOf(t)
  return {
    allocatesAtMost: (fn, limit, options) => assertFigure(ref, 'allocated', 'allocatesAtMost', fn, limit, options),
    peaksAtMost: (fn, limit, options) => assertFigure(ref, 'peak', 'peaksAtMost', fn, limit, options),
    retainsAtMost: (fn, limit, options) => assertFigure(ref, 'retained', 'retainsAtMost', fn, limit, options),
    doesNotLeak: (fn, options) => assertNoLeak(ref, 'doesNotLeak', fn, options),
  }
}

type Register = (name: string, fn: (this: Context, ...args: never[]) => unknown) => void

/**
 * Registers the assertions as `t.assert.allocatesAtMost(fn, limit)` and so
 * on, where `test.assert.register` exists (Node 22.14+); returns false
 * where it does not (Node 20). Importing this module calls it.
 */
export function registerAssertions(): boolean {
  const register = (nodeTest as unknown as { test?: { assert?: { register?: Register } } }).test?.assert?.register
  if (typeof register !== 'function') return false
  const names = ['allocatesAtMost', 'peaksAtMost', 'retainsAtMost', 'doesNotLeak'] as const
  for (const name of names) {
    register(name, function (this: Context, ...args: never[]) {
      return (memory(this)[name] as (...a: unknown[]) => Promise<number>)(...(args as unknown[]))
    })
  }
  return true
}

/** True when the assertions were registered on `t.assert` (Node 22.14+). */
export const registered = registerAssertions()

nodeTest.beforeEach(async (t: Context) => {
  await testStarted(t, t.fullName ?? t.name)
})
nodeTest.afterEach(async (t: Context) => {
  await testEnded(t)
})

declare module 'node:test' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace test {
    /** tracemalloc's assertions, registered on Node 22.14+ only (optional here; use `memory(t)` on Node 20). */
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface TestContextAssert extends Partial<MemoryAssertions> {}
  }
}
