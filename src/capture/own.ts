/**
 * Allocations made by tracemalloc itself (syncs, snapshots) are not traced,
 * as in CPython. A trace is ours when the most recent frame that is not
 * Node's own (`node:` scripts, builtins without a script) is this package's
 * code (src/, dist/ or the index). User code that runs under one of our
 * frames (a module loaded through the report's compile hook) stays traced,
 * and so do tests and examples.
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

/** True for frames of Node's own scripts and of builtins, which say nothing about who allocated. */
export function isNodeInternal(file: string): boolean {
  return file.startsWith('node:') || file === '<unknown>'
}
