/**
 * jest integration: `setupFilesAfterEnv: ['tracemalloc/testing/jest']` (or
 * `preset: 'tracemalloc'`, which also sets `globalsCleanup: 'off'`) adds the
 * matchers (`toAllocateAtMost`, `toPeakAtMost`, `toRetainAtMost`,
 * `toNotLeak`) to jest's `expect`, their TypeScript types to `expect`'s and
 * `@types/jest`'s `Matchers`, and hooks that catch an unawaited matcher,
 * refuse `test.concurrent` tests and apply the default budget
 * (`TRACEMALLOC_DEFAULT_BUDGET`).
 * @module
 */
import { createMatchers, type MatcherThis, type MemoryMatchers } from './matchers'
import { testEnded, testStarted } from './runner-hooks'
// Brings jest's expect types into the program, so that the augmentation below applies to them.
import type {} from 'expect'

/** The jest globals {@link install} needs (from `@jest/globals` when `injectGlobals` is off). */
export interface JestGlobals {
  /** jest's `expect`: the matchers are added with `expect.extend`. */
  expect: {
    /** Adds matchers. */
    extend(m: object): void
    /** The running test's matcher state. */
    getState(): MatcherThis
  }
  /** Registers the hook that opens each test's measurement scope. */
  beforeEach(fn: () => Promise<void>): void
  /** Registers the hook that settles unawaited matchers and applies the default budget. */
  afterEach(fn: () => Promise<void>): void
}

/** jest's own files, left out of measurements. */
const ignore = ['*/node_modules/jest-*', '*/node_modules/@jest/*', '*/node_modules/expect/*', '*/node_modules/jest/*']

interface CircusTest {
  name: string
  concurrent?: boolean
  parent?: CircusTest
}

function testOf(ctx: MatcherThis): CircusTest | string | undefined {
  return (ctx.currentTestIdentity?.() as CircusTest | undefined) ?? ctx.currentTestName
}

function fullName(t: CircusTest): string {
  const names: string[] = []
  for (let x: CircusTest | undefined = t; x; x = x.parent) if (x.name && x.name !== 'ROOT_DESCRIBE_BLOCK') names.unshift(x.name)
  return names.join(' ')
}

/**
 * The matchers, wired to jest's tests: jest 30's `currentTestIdentity()`
 * finds the running test (concurrent ones too) through async context.
 */
export const matchers = createMatchers({
  runner: 'jest',
  testOf,
  nameOf: (ctx: MatcherThis) => {
    const t = testOf(ctx)
    return typeof t === 'object' ? fullName(t) : t
  },
  concurrency: (ctx: MatcherThis) => {
    const t = testOf(ctx)
    return typeof t === 'object' && t.concurrent ? 'test.concurrent' : null
  },
  ignore,
})

/**
 * Adds the matchers and hooks to jest's globals (what requiring this module
 * from `setupFilesAfterEnv` does). Call it yourself with `@jest/globals`'
 * exports when globals are off (`injectGlobals: false`).
 */
export function install(g: JestGlobals): void {
  g.expect.extend(matchers)
  g.beforeEach(async () => {
    const state = g.expect.getState()
    const t = testOf(state) ?? 'unnamed test'
    await testStarted(t, typeof t === 'object' ? fullName(t) : t, ignore)
  })
  g.afterEach(async () => {
    await testEnded(testOf(g.expect.getState()))
  })
}

const globals = globalThis as unknown as Partial<JestGlobals>
if (globals.expect && globals.beforeEach && globals.afterEach) install(globals as JestGlobals)

declare module 'expect' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Matchers<R extends void | Promise<void>, T = unknown> extends MemoryMatchers<R> {}
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Matchers<R, T = {}> extends MemoryMatchers<R> {}
  }
}
