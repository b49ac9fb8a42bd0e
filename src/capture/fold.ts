/**
 * Builtin frames charged to their JavaScript caller, in sampled mode: the
 * same rule as the engine's `tracemalloc_core::fold` (exact mode), applied
 * to the inspector's profile. V8 reports builtins (`join`, `replace`,
 * `push`) and VM states as frames without a script (`<unknown>`); each
 * folds into the nearest older frame with a script, whose function name
 * keeps the builtin's: `renderPage (via join)`, `render (via map > join)`
 * (outermost first). Scriptless frames with no older scripted frame stay.
 * A test checks that both modes name the same frames.
 *
 * The inspector also reports frames of scripts collected since they
 * allocated without a file; those are JavaScript, not builtins: only frames
 * of script id 0 fold.
 * @module
 */

/** The file name of a frame without a script. */
export const UNKNOWN_FILE = '<unknown>'

/** True when a profile call frame has no script: a builtin or a VM state (script id 0). */
export function isBuiltinCallFrame(cf: { scriptId: string; url: string }): boolean {
  return cf.scriptId === '0' && cf.url === ''
}

/** What {@link BuiltinFolder.push} returns for a frame without a script: it is held. */
export const HELD = null

/** Folds one stack, fed most recent frame first. */
export class BuiltinFolder {
  readonly #held: string[] = []
  #depth = 0

  /**
   * Takes the next (older) frame: {@link HELD} when it is a builtin (an
   * older scripted frame will absorb it), otherwise the function name to
   * give the frame, `func (via builtins)` when it absorbed held builtins.
   */
  push(builtin: boolean, func: string): string | typeof HELD {
    if (builtin) {
      this.#held.push(func)
      return HELD
    }
    this.#depth++
    if (this.#held.length === 0) return func
    const via = this.#held
      .reverse()
      .map((n) => n || '(anonymous)')
      .join(' > ')
    this.#held.length = 0
    return `${func || '(anonymous)'} (via ${via})`
  }

  /**
   * Ends the stack: the function names of the scriptless frames that no
   * scripted frame absorbed (most recent first), to keep as `<unknown>`
   * frames, and the depth of the folded stack.
   */
  finish(): { held: string[]; depth: number } {
    return { held: this.#held.slice(), depth: this.#depth + this.#held.length }
  }
}
