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
  /** Set when a measurement of the same test started inside this soft one (a default budget), which then gives way. */
  superseded = false

  constructor(
    readonly label: string,
    /** The runner's id of the test being measured, when a runner integration knows it. */
    readonly test: unknown,
    /** A soft scope (a test's default budget) gives way to a measurement of its own test. */
    readonly soft = false,
  ) {}
}

const active = new Set<Scope>()

/** Tests running now, by id, as the runner integrations' hooks report them. */
const runningTests = new Map<unknown, string>()

/**
 * Called by a runner integration when a test starts. A test that starts
 * while a measurement runs voids that measurement.
 */
export function noteTestStart(id: unknown, label: string): void {
  runningTests.set(id, label)
  for (const s of active) if (s.test !== id) s.overlapped.push(label)
}

/** Called by a runner integration when a test ends. */
export function noteTestEnd(id: unknown): void {
  runningTests.delete(id)
}

/** Labels of the running tests other than `id`. */
export function otherRunningTests(id: unknown): string[] {
  return [...runningTests].filter(([k]) => k !== id).map(([, v]) => v)
}

const ADVICE =
  'tracemalloc measures the whole process heap, so allocations of tests that run at the same time would be mixed. ' +
  'Run memory-budget tests one at a time: no test.concurrent in vitest or jest, concurrency: false (the default) in node:test, test.serial in ava.'

/** Starts a measurement, failing when another one is running, or (as far as the runner hooks tell) another test. */
export function enterScope(label: string, test?: unknown, soft = false): Scope {
  const others = otherRunningTests(test)
  if (test !== undefined && others.length > 0) {
    throw new ConcurrentMeasurementError(
      `cannot measure ${JSON.stringify(label)}: ${others.map((o) => JSON.stringify(o)).join(', ')} ${others.length > 1 ? 'are' : 'is'} running at the same time in this process. ${ADVICE}`,
      [label, ...others],
    )
  }
  for (const a of active) {
    if (a.soft && test !== undefined && a.test === test) {
      a.superseded = true
      active.delete(a)
    }
  }
  if (active.size > 0) {
    const others = [...active]
    for (const o of others) o.overlapped.push(label)
    throw new ConcurrentMeasurementError(
      `cannot measure ${JSON.stringify(label)}: ${others.map((o) => JSON.stringify(o.label)).join(', ')} is being measured at the same time in this process. ${ADVICE}`,
      [label, ...others.map((o) => o.label)],
    )
  }
  const s = new Scope(label, test, soft)
  active.add(s)
  return s
}

/** Ends a measurement; throws when another one started while it ran. */
export function leaveScope(s: Scope): void {
  active.delete(s)
  if (s.overlapped.length > 0 && !s.superseded) {
    throw new ConcurrentMeasurementError(
      `the measurement of ${JSON.stringify(s.label)} is void: ${s.overlapped.map((l) => JSON.stringify(l)).join(', ')} started while it ran, in this process. ${ADVICE}`,
      [s.label, ...s.overlapped],
    )
  }
}

/** The error for a test that its runner says runs concurrently with others. */
export function concurrentTestError(label: string, runner: string, how: string): ConcurrentMeasurementError {
  return new ConcurrentMeasurementError(`cannot measure this test: ${runner} runs it concurrently with other tests (${how}). ${ADVICE}`, [label])
}
