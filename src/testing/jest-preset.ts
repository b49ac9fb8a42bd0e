/**
 * `preset: 'tracemalloc'` for jest: the matchers and hooks
 * (`tracemalloc/testing/jest`), and `testEnvironmentOptions.globalsCleanup:
 * 'off'`. Jest 30's default globals cleanup can hang for a long time on
 * Node 22 and 24 at the end of a test file that leaves a large object on
 * `globalThis`, which leak tests often do; Node 20 is not affected.
 * @module
 */
import { join } from 'node:path'

const preset = {
  setupFilesAfterEnv: [join(__dirname, 'jest.js')],
  testEnvironmentOptions: { globalsCleanup: 'off' },
}

export = preset
