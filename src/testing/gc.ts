/**
 * Forcing a full garbage collection without `--expose-gc`.
 *
 * The route is an in-process inspector session's `HeapProfiler.collectGarbage`,
 * which runs V8's "collect all available garbage" (repeated full GCs until
 * nothing more is freed, weak callbacks included). V8 runs it as a task of
 * its own, with no JavaScript on the stack, and answers when it is done, so
 * the call is asynchronous. It needs no
 * V8 flag, works in workers and alongside tracemalloc's own sessions and a
 * debugger. The other route, `v8.setFlagsFromString('--expose-gc')` then
 * `vm.runInNewContext('gc')`, changes a V8 flag after startup (which Node
 * documents as unsafe) and builds a new context per call; it is only the
 * fallback for a Node built without the inspector.
 * @module
 */
import * as v8 from 'node:v8'
import * as vm from 'node:vm'


type Collector = () => Promise<void>

let collector: Collector | undefined

function inspectorCollector(): Collector | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Session } = require('node:inspector') as typeof import('node:inspector')
    const session = new Session()
    session.connect()
    return () =>
      new Promise<void>((done, fail) =>
        session.post('HeapProfiler.collectGarbage', (err) => (err ? fail(new Error(`inspector call HeapProfiler.collectGarbage failed: ${err.message}`)) : done())),
      )
  } catch {
    return undefined
  }
}

function flagCollector(): Collector {
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc') as () => void
  return async () => gc()
}

let route: 'inspector' | 'expose-gc' | undefined

/** Runs full garbage collections until V8 frees nothing more. */
export async function forceGc(): Promise<void> {
  if (collector === undefined) {
    const viaInspector = inspectorCollector()
    route = viaInspector ? 'inspector' : 'expose-gc'
    collector = viaInspector ?? flagCollector()
  }
  await collector()
}

/** Which route {@link forceGc} uses: `'inspector'` or, without one, `'expose-gc'`. */
export function gcRoute(): 'inspector' | 'expose-gc' | undefined {
  return route
}
