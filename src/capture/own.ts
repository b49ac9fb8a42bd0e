/**
 * Allocations made by tracemalloc itself (syncs, snapshots) are not traced,
 * as in CPython. A trace is ours when its stack runs through this package's
 * code (src/, dist/ or the index); tests and examples are traced.
 * @module
 */
import { basename, resolve, sep } from 'node:path'

/** The package's root directory, from src/capture or dist/src/capture. */
const ROOT = ((up: string) => (basename(up) === 'dist' ? resolve(up, '..') : up))(resolve(__dirname, '..', '..'))

/** Path prefixes of this package's own code. */
export const OWN_PREFIXES: readonly string[] = [`${ROOT}${sep}src${sep}`, `${ROOT}${sep}dist${sep}`, `${ROOT}${sep}index.`]

/** True when `file` is this package's own code. */
export function isOwn(file: string): boolean {
  return OWN_PREFIXES.some((d) => file.startsWith(d))
}
