/**
 * Byte limits as numbers or text: `'24 MB'`, `'1.5 MiB'`, `'512 kB'`, `4096`.
 *
 * Decimal (SI) units are powers of 1000: `B`, `kB` (also `KB`), `MB`, `GB`,
 * `TB`. Binary (IEC) units are powers of 1024: `KiB`, `MiB`, `GiB`, `TiB`.
 * Unit letters are case-insensitive (`mb` is `MB`, `mib` is `MiB`); the
 * number is a plain non-negative decimal (`1.5`, `.5`, `24`), and the result
 * is rounded to whole bytes. Anything else is rejected with an error that
 * quotes the text and says what is accepted.
 * @module
 */

/** A limit: bytes as a number, or text such as `'24 MB'` or `'1.5 MiB'`. */
export type ByteLimit = number | string

const UNITS: Record<string, number> = {
  b: 1,
  byte: 1,
  bytes: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
}

const ACCEPTED = "a non-negative number of bytes, or text like '24 MB' or '1.5 MiB' (B, kB, MB, GB, TB are powers of 1000; KiB, MiB, GiB, TiB powers of 1024)"

/**
 * Parses a byte limit. `what` names the argument in errors (for example
 * `'limit'`). Throws a `TypeError` for a value that is neither a number nor
 * a string, and a `RangeError` for a negative, non-finite or unreadable one.
 */
export function parseBytes(value: unknown, what = 'limit'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${what} must be ${ACCEPTED}, got ${String(value)}`)
    return value
  }
  if (typeof value !== 'string') {
    const type = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
    throw new TypeError(`${what} must be ${ACCEPTED}, not ${type}`)
  }
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)\s*$/.exec(value)
  const unit = m ? (m[2] === '' ? 'b' : m[2]!.toLowerCase()) : undefined
  const scale = unit === undefined ? undefined : UNITS[unit]
  if (!m || scale === undefined) throw new RangeError(`${what} must be ${ACCEPTED}, got ${JSON.stringify(value)}`)
  const bytes = Math.round(Number(m[1]) * scale)
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`${what} is too large: ${JSON.stringify(value)}`)
  return bytes
}

/** `2.00 MB`-style text for a byte count: decimal units, as budgets are mostly written. */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : ''
  let v = Math.abs(bytes)
  if (v < 1000) return `${sign}${Math.round(v)} B`
  for (const unit of ['kB', 'MB', 'GB']) {
    v /= 1000
    if (v < 1000) return `${sign}${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${unit}`
  }
  return `${sign}${(v / 1000).toFixed(2)} TB`
}

/** The limit as the user wrote it, with its value in bytes when it was text: `'2 MB' (2,000,000 B)`. */
export function describeLimit(limit: ByteLimit, bytes: number): string {
  const exact = `${Math.round(bytes).toLocaleString('en-US')} B`
  return typeof limit === 'string' ? `${limit.trim()} (${exact})` : exact
}
