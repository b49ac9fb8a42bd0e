/**
 * The current JavaScript stack as frames, for `track()` without a traceback.
 * @module
 */
import { MAX_TOTAL_NFRAME, scriptPathOf } from '../native'

/**
 * The caller's stack, most recent call first, cut to `limit` frames, and its
 * full depth. `skip` and the frames above it are left out. Unlike sampled
 * frames, these point at the calling line and column.
 */
export function currentStack(
  skip: (...args: never[]) => unknown,
  limit: number,
): { frames: [string, number, number, string][]; total: number } {
  const savedLimit = Error.stackTraceLimit
  const savedPrepare = Error.prepareStackTrace
  const holder: { stack?: NodeJS.CallSite[] } = {}
  try {
    // Deepest stack walked to count `totalNframe`, the engine's cap.
    Error.stackTraceLimit = MAX_TOTAL_NFRAME
    Error.prepareStackTrace = (_err, sites) => sites
    Error.captureStackTrace(holder, skip)
    const sites = holder.stack ?? []
    const frames = sites.slice(0, limit).map((cs): [string, number, number, string] => [
      scriptPathOf(cs.getFileName() ?? cs.getScriptNameOrSourceURL() ?? ''),
      cs.getLineNumber() ?? 0,
      cs.getColumnNumber() ?? 0,
      cs.getFunctionName() ?? '',
    ])
    return { frames, total: sites.length }
  } finally {
    Error.stackTraceLimit = savedLimit
    Error.prepareStackTrace = savedPrepare
  }
}
