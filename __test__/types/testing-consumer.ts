// Type-checked (not run) by `npm run typecheck`: the matchers' TypeScript augmentations as a
// consumer sees them, through the package's own exports.
import type {} from 'tracemalloc/testing/vitest' with { 'resolution-mode': 'import' }
import type {} from 'tracemalloc/testing/jest'
import { expect as jestExpect } from '@jest/globals'
import type { TestContext } from 'node:test'
import { expect as vitestExpect } from 'vitest'
import { limitLeaks, measure, type Measurement } from 'tracemalloc/testing'
import { memory } from 'tracemalloc/testing/node-test'

const fn = () => new Array(10).fill(0)

export async function vitestUse(): Promise<void> {
  await vitestExpect(fn).toAllocateAtMost('2 MB')
  await vitestExpect(fn).toPeakAtMost(1_000_000, { mode: 'exact' })
  await vitestExpect(fn).not.toRetainAtMost('1.5 MiB')
  await vitestExpect(fn).toNotLeak({ iterations: 50, limit: '1 kB' })
}

export async function jestUse(): Promise<void> {
  await jestExpect(fn).toAllocateAtMost('2 MB', { tolerance: 0.2 })
  await jestExpect(fn).toNotLeak({ iterations: 50 })
}

export async function nodeTestUse(t: TestContext): Promise<number> {
  await t.assert.retainsAtMost?.(fn, '1 MB')
  return memory(t).allocatesAtMost(fn, '2 MB')
}

export async function coreUse(): Promise<number> {
  const m: Measurement<number[]> = await measure(fn)
  await limitLeaks('100 B', fn, { iterations: 20, warmup: 1 })
  return m.allocated + m.peak + m.retained + m.result.length
}
