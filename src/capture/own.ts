/**
 * Allocations made by tracemalloc itself (syncs, snapshots) are not traced,
 * as in CPython. A trace is ours when the most recent frame that is not
 * Node's own (`node:` scripts, builtins without a script) is this package's
 * code (src/, dist/ or the index). User code that runs under one of our
 * frames (a module loaded through the report's compile hook) stays traced,
 * and so do tests and examples. The rule is the engine's
 * (`tracemalloc_core::stack::is_own_stack`), which both capture modes
 * apply; this module knows where the package is.
 * @module
 */
import { extname, resolve, sep } from 'node:path'
import { sourceMapsEnabledByTracemalloc } from '../sourcemaps'

/**
 * The package's root directory: compiled code (.js) runs from dist/src/capture,
 * sources (.ts, tests and benches) from src/capture. Decided by this file's own
 * extension, not by a directory named `dist`, which the root itself may be.
 */
const ROOT = extname(__filename) === '.js' ? resolve(__dirname, '..', '..', '..') : resolve(__dirname, '..', '..')

/** Path prefixes of this package's own code. */
export const OWN_PREFIXES: readonly string[] = [`${ROOT}${sep}src${sep}`, `${ROOT}${sep}dist${sep}`, `${ROOT}${sep}index.`]

/** Where Node's source-map code lives: its allocations are tracemalloc's when tracemalloc turned maps on. */
export const NODE_SOURCE_MAP_PREFIX = 'node:internal/source_map/'

/**
 * The prefixes of stacks that are tracemalloc's own allocation in this
 * thread: the package's code, and Node's source-map code when tracemalloc
 * turned source maps on (`tracemalloc run`, `tracemalloc/register`).
 */
export function ownPrefixes(): string[] {
  return sourceMapsEnabledByTracemalloc() ? [...OWN_PREFIXES, NODE_SOURCE_MAP_PREFIX] : [...OWN_PREFIXES]
}
