/**
 * The shared memory through which the sync worker reports a sync to the
 * traced thread, which waits on it: an Int32Array of [0] state (0 idle or
 * busy, 1 done, 2 failed, 3 closed), [1] samples, [2] added, [3] removed; then, from
 * byte 16, a Float64Array of the synced bytes by size basis (solved,
 * borrowed, guessed, foreign).
 * @module
 */
import type { SyncResult } from './profile-sync'

/** Bytes of the shared buffer. */
export const FLAGS_BYTES = 48

/** Views over one shared buffer. */
export class SyncFlags {
  /** State and counts; the waiter waits on index 0. */
  readonly state: Int32Array
  readonly #basis: Float64Array

  constructor(buffer: SharedArrayBuffer) {
    this.state = new Int32Array(buffer, 0, 4)
    this.#basis = new Float64Array(buffer, 16, 4)
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
