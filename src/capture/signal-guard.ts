/**
 * Holding back signals during a sync. Writing a heap snapshot takes from
 * milliseconds to seconds; a SIGINT, SIGTERM or SIGHUP whose default action
 * (death) struck meanwhile would leave the file behind. So, on the main
 * thread (the only one signals reach), while no listener of the program's
 * own handles a signal, one of ours does for the length of the sync: the
 * signal is handled once the sync has cleaned up, by re-raising it with the
 * default action restored, so the process still ends by that signal.
 * @module
 */
import { isMainThread } from 'node:worker_threads'

/** The signals whose default action ends the process and that a terminal or `kill` sends. */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** Re-raises `sig` when no listener but ours was there to handle it. */
function reRaise(this: void, sig: NodeJS.Signals): void {
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig)
}

/**
 * Runs `fn` with SIGINT, SIGTERM and SIGHUP held back (see the module
 * comment), and returns its result. Elsewhere than on the main thread it
 * just runs `fn`.
 */
export function withSignalsHeld<T>(fn: () => T): T {
  if (!isMainThread) return fn()
  const held: [NodeJS.Signals, (sig: NodeJS.Signals) => void][] = []
  for (const sig of SIGNALS) {
    if (process.listenerCount(sig) > 0) continue
    const listener = (s: NodeJS.Signals) => {
      release()
      reRaise(s)
    }
    process.on(sig, listener)
    held.push([sig, listener])
  }
  const release = () => {
    for (const [sig, listener] of held.splice(0)) process.removeListener(sig, listener)
  }
  try {
    return fn()
  } finally {
    // A signal that came during `fn` is dispatched by the event loop's next
    // poll phase: keep the listeners until the check phase after it, so it
    // is not dropped with them.
    if (held.length > 0) setImmediate(release).unref()
  }
}
