/**
 * The progress bar of long work (importing large V8 files): drawn on stderr
 * only when stderr is a terminal, and not at all otherwise, so logs and
 * pipes stay quiet.
 * @module
 */
import { formatSize } from '../pyformat'

/** A progress reporter: an `onProgress(done, total)` callback and `end()` to clear the bar. */
export interface Progress {
  /** `undefined` when no bar is drawn (stderr is not a terminal). */
  onProgress: ((done: number, total: number) => void) | undefined
  /** Clears the bar, if one was drawn. */
  end(): void
}

const WIDTH = 30
/** Least time between redraws, in ms. */
const REDRAW_MS = 100

/** A bar labelled `label` on stderr when it is a TTY; a no-op otherwise. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { onProgress: undefined, end() {} }
  let last = 0
  let drawn = false
  return {
    onProgress(done, total) {
      const now = Date.now()
      if (done < total && now - last < REDRAW_MS) return
      last = now
      const frac = total > 0 ? Math.min(1, done / total) : 1
      const full = Math.round(frac * WIDTH)
      const bar = '#'.repeat(full) + '-'.repeat(WIDTH - full)
      const pct = `${Math.floor(frac * 100)}`.padStart(3)
      let line = `${label} [${bar}] ${pct}% ${formatSize(done, false)} / ${formatSize(total, false)}`
      if (stream.columns && line.length >= stream.columns) line = line.slice(0, stream.columns - 1)
      stream.write(`\r${line}\x1b[K`)
      drawn = true
    },
    end() {
      if (drawn) stream.write('\r\x1b[K')
      drawn = false
    },
  }
}
