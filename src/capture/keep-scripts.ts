/**
 * Keeping sampled frames resolvable for `tracemalloc run` without changing
 * what the program keeps alive.
 *
 * V8 resolves a sampled frame's file and line only when the profile is
 * read, from the frame's script, and a script dies with the last function
 * compiled from it: at the end of a program, a module whose functions were
 * all dropped leaves its samples without a file or line. V8's precise
 * coverage keeps every function's feedback vector, which holds the
 * function's shared info and so its script, but not the function's
 * closure context: module scopes and what they hold die as they would
 * untraced. Binary coverage (no counts, no blocks) is the cheapest mode.
 *
 * When Node already collects coverage (NODE_V8_COVERAGE), its mode keeps
 * scripts too and is left alone: starting ours would change its mode.
 * @module
 */
import { Session } from 'node:inspector'

import { postSync } from './session'

let session: Session | undefined

/** Starts V8's binary precise coverage on this thread, once. Returns false when Node's own coverage runs instead. */
export function keepScriptsResolvable(): boolean {
  if (session !== undefined) return true
  if (process.env.NODE_V8_COVERAGE) return false
  const s = new Session()
  s.connect()
  try {
    postSync(s, 'Profiler.enable')
    postSync(s, 'Profiler.startPreciseCoverage', { callCount: false, detailed: false })
  } catch (e) {
    s.disconnect()
    throw e
  }
  session = s
  return true
}
