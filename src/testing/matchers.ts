/**
 * The matchers that vitest and jest share through `expect.extend`:
 * `toAllocateAtMost`, `toPeakAtMost`, `toRetainAtMost` and `toNotLeak`. They
 * are async (forcing a GC is), so they must be awaited:
 * `await expect(fn).toRetainAtMost('1 MB')`.
 *
 * A forgotten `await` must fail the test that forgot it, not another one
 * later: each call records where it was made, the setup files' `afterEach`
 * ({@link settleUnawaited}) waits for calls still running when their test
 * ended and fails that test naming the line, and every failure message names
 * its call site, so even an unhandled rejection points at the test.
 * @module
 */
import { checkFigure, type BudgetOptions } from './budget'
import type { CaptureSettings, Figure } from './config'
import { detectGrowth, type LeakOptions } from './leaks'
import { judgeLeaks } from './limits'
import { measure } from './measure'
import { concurrentTestError } from './scope'
import { parseBytes, type ByteLimit } from './units'

/** Options of `toAllocateAtMost`, `toPeakAtMost` and `toRetainAtMost`. */
export interface BudgetMatcherOptions extends BudgetOptions, Partial<CaptureSettings> {
  /** Filename patterns (fnmatch, as `Filter`'s) whose allocations are left out, judged by the most recent frame. */
  ignore?: string[]
}

/** Options of `toNotLeak`. */
export interface NotLeakOptions extends Omit<LeakOptions, 'name' | 'test'>, BudgetOptions {
  /** Growth per run allowed per site (default 0: any linear growth fails). */
  limit?: ByteLimit
}

/** The part of a matcher's `this` that the matchers read (vitest's and jest's `MatcherState`). */
export interface MatcherThis {
  /** True under `.not`. */
  isNot?: boolean
  /** The running test's full name. */
  currentTestName?: string
  /** The running test file. */
  testPath?: string
  /** jest 30: the running test's object (jest-circus's, with its `concurrent` flag), found through async context. */
  currentTestIdentity?: () => unknown
  /** vitest: the chai assertion, whose flags hold the test. */
  assertion?: object
}

/** What a matcher returns to the runner. */
export interface MatcherResult {
  /** True when the budget held. */
  pass: boolean
  /** The report shown when the assertion fails. */
  message: () => string
}

/** A matcher call not yet settled. */
interface Pending {
  promise: Promise<unknown>
  matcher: string
  at: string
  test: unknown
  /** Set when the test ended first: the call's own outcome is then dropped (the test fails for the missing await instead). */
  abandoned: boolean
}

const pending = new Set<Pending>()

/** The call site in the test file: the first stack frame in `testPath`, else the first outside Node, node_modules and this package. */
export function callSite(stack: string | undefined, testPath: string | undefined): string {
  const lines = (stack ?? '').split('\n').slice(1)
  const loc = (l: string) => /\(?((?:file:\/\/)?\/?[^\s()]+:\d+:\d+)\)?\s*$/.exec(l)?.[1]?.replace(/^file:\/\//, '')
  if (testPath) {
    for (const l of lines) {
      const at = loc(l)
      if (at?.startsWith(testPath)) return at
    }
  }
  for (const l of lines) {
    const at = loc(l)
    if (at && !at.startsWith('node:') && !at.includes('/node_modules/') && !at.includes('/tracemalloc/dist/') && !at.includes(`${__dirname}/`)) return at
  }
  return 'an unknown line'
}

/** How runner integrations describe the current test to the matchers. */
export interface RunnerHooks {
  /** The runner's name, for messages. */
  runner: string
  /** The runner's identity of the test of a matcher call (same as the one its hooks report), if known. */
  testOf(ctx: MatcherThis): unknown
  /** The test's full name, if the runner knows it better than `currentTestName` (which concurrent tests share). */
  nameOf?(ctx: MatcherThis): string | undefined
  /** Filename patterns of the runner's own code, whose allocations are left out of measurements. */
  ignore?: string[]
  /** Why the runner runs this test concurrently with others, or null. */
  concurrency(ctx: MatcherThis): string | null
}

/**
 * Runs an async assertion of test `test`, remembering it until it settles
 * so that {@link settleUnawaited} can find it if the test ends first; the
 * outcome of a call abandoned that way becomes `dropped` (so that it does
 * not reject later, far from its test). `stack` is a stack taken in the
 * assertion's synchronous part.
 */
export function trackCall<T>(matcher: string, test: unknown, stack: string | undefined, run: () => Promise<T>, dropped: T, testPath?: string): Promise<T> {
  const entry: Pending = { promise: Promise.resolve(), matcher, at: callSite(stack, testPath), test, abandoned: false }
  const promise = run().then(
    (r) => (entry.abandoned ? dropped : r),
    (e: unknown) => {
      if (entry.abandoned) return dropped
      throw e
    },
  )
  // A settled copy for settleUnawaited: it never rejects, so it is never an unhandled rejection itself.
  const done = () => {
    pending.delete(entry)
  }
  entry.promise = promise.then(done, done)
  pending.add(entry)
  return promise
}

/**
 * For a setup file's `afterEach`: waits for matcher calls of the test that
 * were still running (not awaited), so they do not spill into the next test,
 * and returns an error naming them, or null. Their own results are dropped.
 */
export async function settleUnawaited(test?: unknown): Promise<Error | null> {
  const left = [...pending].filter((p) => test === undefined || p.test === undefined || p.test === test)
  if (left.length === 0) return null
  for (const p of left) p.abandoned = true
  await Promise.allSettled(left.map((p) => p.promise))
  const list = left.map((p) => `${p.matcher}(...) at ${p.at}`).join(', ')
  const err = new Error(
    `tracemalloc: ${list} ${left.length > 1 ? 'were' : 'was'} not awaited: the test ended before the measurement did. ` +
      `Memory budget assertions are async: put \`await\` before ${left[0]!.matcher.startsWith('to') ? `\`expect(fn).${left[0]!.matcher}(...)\`` : `\`${left[0]!.matcher}(...)\``}.`,
  )
  err.name = 'UnawaitedMatcherError'
  return err
}

function nameOf(ctx: MatcherThis, hooks: RunnerHooks, options: BudgetOptions): string {
  return options.name ?? hooks.nameOf?.(ctx) ?? ctx.currentTestName ?? 'unnamed test'
}

function asFunction(received: unknown, matcher: string): () => unknown {
  if (typeof received !== 'function') {
    throw new TypeError(`expect(fn).${matcher}(...): fn must be a function to run and measure, not ${received === null ? 'null' : typeof received}`)
  }
  return received as () => unknown
}

function budgetMatcher(figure: Figure, matcher: string, hooks: RunnerHooks) {
  return function (this: MatcherThis, received: unknown, limit: ByteLimit, options: BudgetMatcherOptions = {}): Promise<MatcherResult> {
    const stack = new Error().stack
    const fn = asFunction(received, matcher)
    parseBytes(limit, `${matcher}(limit)`)
    const ctx = this
    const at = callSite(stack, ctx.testPath)
    const dropped = { pass: !ctx.isNot, message: () => `${matcher} at ${at} was not awaited` }
    return trackCall(matcher, hooks.testOf(ctx), stack, async () => {
      const name = nameOf(ctx, hooks, options)
      const why = hooks.concurrency(ctx)
      if (why) throw concurrentTestError(name, hooks.runner, why)
      const m = await measure(fn, { ...options, name, test: hooks.testOf(ctx), ignore: [...(options.ignore ?? []), ...(hooks.ignore ?? [])] })
      const v = checkFigure(m, figure, limit, { name, tolerance: options.tolerance })
      return { pass: v.pass, message: () => `${v.message}\n(${matcher} at ${at})` }
    }, dropped, ctx.testPath)
  }
}

/** The four matchers, for `expect.extend`, wired to a runner's hooks. */
export function createMatchers(hooks: RunnerHooks) {
  return {
    /** Passes when `fn` allocates at most `limit` bytes (collected objects included). */
    toAllocateAtMost: budgetMatcher('allocated', 'toAllocateAtMost', hooks),
    /** Passes when the JS heap's high-water mark while `fn` runs is at most `limit` above the start. */
    toPeakAtMost: budgetMatcher('peak', 'toPeakAtMost', hooks),
    /** Passes when `fn` leaves at most `limit` bytes live after a full GC. */
    toRetainAtMost: budgetMatcher('retained', 'toRetainAtMost', hooks),
    /** Passes when no allocation site's live bytes grow linearly with the number of runs of `fn`. */
    toNotLeak(this: MatcherThis, received: unknown, options: NotLeakOptions = {}): Promise<MatcherResult> {
      const stack = new Error().stack
      const fn = asFunction(received, 'toNotLeak')
      const limit = options.limit ?? 0
      parseBytes(limit, 'toNotLeak({ limit })')
      const ctx = this
      const at = callSite(stack, ctx.testPath)
      const dropped = { pass: !ctx.isNot, message: () => `toNotLeak at ${at} was not awaited` }
      return trackCall('toNotLeak', hooks.testOf(ctx), stack, async () => {
        const name = nameOf(ctx, hooks, options)
        const why = hooks.concurrency(ctx)
        if (why) throw concurrentTestError(name, hooks.runner, why)
        const { limit: _l, tolerance, ...leakOptions } = options
        const r = await detectGrowth(fn, { ...leakOptions, name, test: hooks.testOf(ctx), ignore: [...(options.ignore ?? []), ...(hooks.ignore ?? [])] })
        const v = judgeLeaks(r, limit, { name, tolerance })
        return { pass: v.pass, message: () => `${v.message}\n(toNotLeak at ${at})` }
      }, dropped, ctx.testPath)
    },
  }
}

/** The matchers' signatures, for the runners' type augmentations. */
export interface MemoryMatchers<R = unknown> {
  /** Fails when `fn` allocates more than `limit` (`'2 MB'`, `'1.5 MiB'` or bytes), collected objects included. Await it. */
  toAllocateAtMost(limit: ByteLimit, options?: BudgetMatcherOptions): Promise<R>
  /** Fails when the JS heap's high-water mark while `fn` runs exceeds `limit` above the start. Await it. */
  toPeakAtMost(limit: ByteLimit, options?: BudgetMatcherOptions): Promise<R>
  /** Fails when `fn` leaves more than `limit` live after a full GC. Await it. */
  toRetainAtMost(limit: ByteLimit, options?: BudgetMatcherOptions): Promise<R>
  /** Fails when an allocation site's live bytes grow linearly with the runs of `fn` (more than `limit` per run, default 0). Await it. */
  toNotLeak(options?: NotLeakOptions): Promise<R>
}
