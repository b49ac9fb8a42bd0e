/**
 * Synchronous calls on an in-process inspector session. Node dispatches an
 * in-process session's messages synchronously, so the callback has run
 * when `post` returns.
 * @module
 */
import type { Session } from 'node:inspector'

/** Posts `method` and returns its result, throwing the protocol error if any. */
export function postSync<T = unknown>(session: Session, method: string, params?: object): T {
  let done = false
  let error: Error | null = null
  let result: T | undefined
  session.post(method, params ?? {}, (err: Error | null, res?: unknown) => {
    done = true
    error = err
    result = res as T
  })
  if (!done) throw new Error(`inspector call ${method} did not complete synchronously`)
  if (error) throw new Error(`inspector call ${method} failed: ${(error as Error).message}`)
  return result as T
}
