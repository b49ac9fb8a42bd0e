/**
 * One measurement at a time per process (per thread: each worker thread has
 * its own heap). V8's sampler, its allocation tracker and its heap counters
 * are per isolate and carry no async context, so allocations of two tests
 * that run at once (vitest's `test.concurrent`, node:test's `concurrency`,
 * ava's default) cannot be told apart. Rather than mix them silently, an
 * overlap fails both measurements with a {@link ConcurrentMeasurementError}
 * naming the other test. Runners that say a test is concurrent are refused
 * up front (see the runner integrations).
 * @module
 */

/** Thrown when measurements overlap in time, or a test runs concurrently with others. */
export class ConcurrentMeasurementError extends Error {
  /** The measurements involved, by label. */
  readonly labels: string[]

  constructor(message: string, labels: string[]) {
    super(message)
    this.name = 'ConcurrentMeasurementError'
    this.labels = labels
  }
}

/** A running measurement. */
export class Scope {
  /** Labels of measurements that started while this one ran. */
  readonly overlapped: string[] = []

  constructor(readonly label: string) {}
}

const active = new Set<Scope>()

const ADVICE =
  'tracemalloc measures the whole process heap, so allocations of tests that run at the same time would be mixed. ' +
  'Run memory-budget tests one at a time: no test.concurrent in vitest or jest, concurrency: false (the default) in node:test, test.serial in ava.'

/** Starts a measurement, failing when another one is running. */
export function enterScope(label: string): Scope {
  if (active.size > 0) {
    const others = [...active]
    for (const o of others) o.overlapped.push(label)
    throw new ConcurrentMeasurementError(
      `cannot measure ${JSON.stringify(label)}: ${others.map((o) => JSON.stringify(o.label)).join(', ')} is being measured at the same time in this process. ${ADVICE}`,
      [label, ...others.map((o) => o.label)],
    )
  }
  const s = new Scope(label)
  active.add(s)
  return s
}

/** Ends a measurement; throws when another one started while it ran. */
export function leaveScope(s: Scope): void {
  active.delete(s)
  if (s.overlapped.length > 0) {
    throw new ConcurrentMeasurementError(
      `the measurement of ${JSON.stringify(s.label)} is void: ${s.overlapped.map((l) => JSON.stringify(l)).join(', ')} started while it ran, in this process. ${ADVICE}`,
      [s.label, ...s.overlapped],
    )
  }
}

/** The error for a test that its runner says runs concurrently with others. */
export function concurrentTestError(label: string, runner: string, how: string): ConcurrentMeasurementError {
  return new ConcurrentMeasurementError(`cannot measure ${JSON.stringify(label)}: ${runner} runs it concurrently with other tests (${how}). ${ADVICE}`, [label])
}
