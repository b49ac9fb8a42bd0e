/**
 * vitest integration: `setupFiles: ['tracemalloc/testing/vitest']` adds the
 * matchers (`toAllocateAtMost`, `toPeakAtMost`, `toRetainAtMost`,
 * `toNotLeak`) to `expect`, their TypeScript types to vitest's `Matchers`,
 * and hooks that catch an unawaited matcher, refuse `test.concurrent`
 * tests and apply the default budget (`TRACEMALLOC_DEFAULT_BUDGET`).
 * @module
 */
import { afterEach, beforeEach, expect } from 'vitest'

import { createMatchers, type MatcherThis, type MemoryMatchers } from './matchers.js'
import { testEnded, testStarted } from './runner-hooks.js'

interface Task {
  name: string
  concurrent?: boolean
  suite?: Task
  result?: { state?: string }
}

function taskOf(ctx: MatcherThis): Task | undefined {
  // vitest keeps the test of an assertion in the chai flag 'vitest-test'.
  const flags = (ctx.assertion as { __flags?: Record<string, unknown> } | undefined)?.__flags
  return flags?.['vitest-test'] as Task | undefined
}

function fullName(task: Task): string {
  const names: string[] = []
  for (let t: Task | undefined = task; t && t.name; t = t.suite) names.unshift(t.name)
  return names.join(' > ')
}

/** vitest's own files (its packages, wherever installed), left out of measurements. */
const ignore = ['*/node_modules/vitest/*', '*/node_modules/@vitest/*', '*/node_modules/tinypool/*', '*/node_modules/tinyspy/*', '*/node_modules/chai/*']

/** The matchers, wired to vitest's test objects. */
export const matchers = createMatchers({
  runner: 'vitest',
  testOf: taskOf,
  nameOf: (ctx) => {
    const task = taskOf(ctx)
    return task ? fullName(task) : undefined
  },
  concurrency: (ctx) => (taskOf(ctx)?.concurrent ? 'test.concurrent' : null),
  ignore,
})

expect.extend(matchers)

beforeEach(async (ctx) => {
  await testStarted(ctx.task, fullName(ctx.task as Task), ignore)
})

afterEach(async (ctx) => {
  await testEnded(ctx.task, (ctx.task as Task).result?.state === 'fail')
})

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends MemoryMatchers<T> {}
}
