/**
 * Loads CPython's ground truth (`shared/oracle/cases.json`), computed by the
 * real `tracemalloc` module. TRACEMALLOC_ORACLE overrides the path; the shared
 * copy beside the repository comes next; the vendored copy in
 * `__test__/fixtures` is the fallback for clones without `shared/`.
 */
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'

/** Where the oracle is looked for, first match wins. */
export const ORACLE_PATHS = [
  process.env.TRACEMALLOC_ORACLE,
  resolve(__dirname, '../../shared/oracle/cases.json'),
  resolve(__dirname, 'fixtures/cpython-oracle.json'),
].filter((p): p is string => Boolean(p))

/** Path of the oracle file; throws when none exists, so the suite cannot pass without it. */
export function oraclePath(): string {
  const found = ORACLE_PATHS.find((p) => existsSync(p))
  if (!found) throw new Error(`CPython oracle not found; looked in: ${ORACLE_PATHS.join(', ')}`)
  return found
}

/** The parsed oracle. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadOracle(): any {
  return JSON.parse(readFileSync(oraclePath(), 'utf8'))
}
