/**
 * Checks of option objects: a misspelt key is an error that names the key
 * meant (`{ interval: 1024 }` suggests `samplingInterval`), not a setting
 * silently ignored.
 * @module
 */

/** Edit distance (insertions, deletions, substitutions, adjacent swaps). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  }
  return d[a.length]![b.length]!
}

/**
 * The known name closest to `name`, or undefined when none is close: equal
 * but for case, one containing the other (`interval` in `samplingInterval`),
 * or a few typos away.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase()
  let best: string | undefined
  let bestScore = Infinity
  for (const k of known) {
    const kl = k.toLowerCase()
    let score: number
    if (kl === lower) score = 0
    else if (lower.length >= 3 && (kl.includes(lower) || lower.includes(kl))) score = 1
    else {
      const d = distance(lower, kl)
      if (d > Math.max(1, Math.floor(Math.min(lower.length, kl.length) / 3))) continue
      score = 1 + d
    }
    if (score < bestScore) {
      best = k
      bestScore = score
    }
  }
  return best
}

/**
 * Throws a TypeError naming the first own key of `value` that is not in
 * `known`, with the closest known name suggested. `what` says what the
 * keys are (`'option'`, `'column'`) and `where` whose (`'start()'`).
 */
export function rejectUnknownKeys(value: object, known: readonly string[], what: string, where: string): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue
    const guess = closestName(key, known)
    const hint = guess === undefined ? '' : ` (did you mean '${guess}'?)`
    throw new TypeError(`unknown ${what} '${key}' in ${where}${hint}; known ${what}s: ${known.join(', ')}`)
  }
}
