/**
 * Undoing V8's sample scaling. The inspector reports each sample's size
 * already multiplied by its estimated count:
 * `scaled = size * round(1 / (1 - exp(-size / interval)))`. A trace needs
 * the object's own size and that count (its weight).
 *
 * The scaled size fixes the bytes exactly, but not always the object size:
 * for objects far smaller than the interval several sizes give the same
 * scaled size (32 x 1025 = 40 x 820 = 32800 at 32 KiB). The smallest
 * V8-aligned size that fits is taken, so counts of small objects are
 * estimates that can run high; byte totals are unaffected.
 * @module
 */

/** V8's estimate of how many objects one sample of `size` bytes stands for. */
export function sampleCount(size: number, interval: number): number {
  return Math.floor(1 / (1 - Math.exp(-size / interval)) + 0.5)
}

/** V8 object sizes are multiples of this (tagged size on 64-bit). */
const ALIGN = 8

const cache = new Map<string, readonly [number, number]>()

function search(scaled: number, interval: number, step: number): readonly [number, number] | undefined {
  // For small objects scaled ~ interval + size/2 (+- size/2), so size >= scaled - interval.
  let s = Math.max(step, Math.floor(Math.max(0, scaled - interval) * 0.9 / step) * step)
  for (; s <= scaled; s += step) {
    if (scaled % s === 0 && s * sampleCount(s, interval) === scaled) return [s, scaled / s]
  }
  return undefined
}

/**
 * Splits a reported (scaled) sample size into `[objectSize, count]`: one
 * object when that explains the sample, else the smallest aligned size that
 * does, else the smallest size; failing all (another sampler's interval),
 * the sample counts once.
 */
export function unscale(scaled: number, interval: number): readonly [size: number, count: number] {
  const key = `${scaled}/${interval}`
  const hit = cache.get(key)
  if (hit !== undefined) return hit
  const found: readonly [number, number] =
    sampleCount(scaled, interval) === 1
      ? [scaled, 1]
      : (search(scaled, interval, ALIGN) ?? search(scaled, interval, 1) ?? [scaled, 1])
  if (cache.size > 100_000) cache.clear()
  cache.set(key, found)
  return found
}
