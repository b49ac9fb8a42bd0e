/**
 * The shared memory through which the sync worker reports a sync to the
 * traced thread, which waits on it: an Int32Array of [0] state (0 idle or
 * busy, 1 done, 2 failed, 3 closed), [1] samples, [2] added, [3] removed; then, from
 * byte 16, a Float64Array of the synced bytes by size basis (solved,
 * borrowed, guessed, foreign); then, at byte 48, the worker's session state
 * (see {@link SyncFlags.claimSession}).
 *
 * The session state lives in shared memory, not in messages, because the
 * traced thread may be busy (a synchronous program, `process.exit()` from
 * its first module) and never see a message before it exits, while Node
 * waits at exit for a session connected to the main thread (saying
 * `Waiting for the debugger to disconnect...`).
 * @module
 */
import type { SyncResult } from './profile-sync'

/** Bytes of the shared buffer. */
export const FLAGS_BYTES = 56

/** Session states: not connected yet, connected (by the worker), refused (by the traced thread at exit). */
export const SESSION_STARTING = 0
export const SESSION_CONNECTED = 1
export const SESSION_REFUSED = 2

/** Views over one shared buffer. */
export class SyncFlags {
  /** State and counts; the waiter waits on index 0. */
  readonly state: Int32Array
  readonly #basis: Float64Array
  readonly #session: Int32Array

  constructor(buffer: SharedArrayBuffer) {
    this.state = new Int32Array(buffer, 0, 4)
    this.#basis = new Float64Array(buffer, 16, 4)
    this.#session = new Int32Array(buffer, 48, 1)
  }

  /**
   * The worker, before connecting its session: true when it may connect
   * (the state is then {@link SESSION_CONNECTED}), false when the traced
   * thread already refused it.
   */
  claimSession(): boolean {
    return Atomics.compareExchange(this.#session, 0, SESSION_STARTING, SESSION_CONNECTED) === SESSION_STARTING
  }

  /**
   * The traced thread, at exit: true when the worker has (or is about to
   * have) a session to close; otherwise the worker will never connect one.
   */
  refuseSession(): boolean {
    return Atomics.compareExchange(this.#session, 0, SESSION_STARTING, SESSION_REFUSED) === SESSION_CONNECTED
  }

  /** True once the worker has claimed its session (it takes requests from then on). */
  get connected(): boolean {
    return Atomics.load(this.#session, 0) === SESSION_CONNECTED
  }

  /** Writes a finished sync (the state is set apart, with a notify). */
  write(r: SyncResult): void {
    Atomics.store(this.state, 1, r.samples)
    Atomics.store(this.state, 2, r.added)
    Atomics.store(this.state, 3, r.removed)
    if (r.sizes) this.#basis.set([r.sizes.solved, r.sizes.borrowed, r.sizes.guessed, r.sizes.foreign])
  }

  /** Reads a finished sync. */
  read(): SyncResult {
    const [solved, borrowed, guessed, foreign] = this.#basis
    return {
      samples: this.state[1]!,
      added: this.state[2]!,
      removed: this.state[3]!,
      sizes: { solved: solved!, borrowed: borrowed!, guessed: guessed!, foreign: foreign! },
    }
  }
}
