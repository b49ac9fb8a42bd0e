/**
 * Small helpers that reproduce Python (CPython) formatting and string
 * semantics in JavaScript, so that the tracemalloc port prints exactly what
 * CPython's `tracemalloc` module prints.
 *
 * Everything here is pure and synchronous; the only module-level state is a
 * handful of precompiled regular expressions.
 *
 * @module
 */

// ---------------------------------------------------------------------------
// Number formatting
// ---------------------------------------------------------------------------

/** Below this magnitude `Number.prototype.toFixed` prints plain digits. */
const TO_FIXED_LIMIT = 1e21;

/**
 * Format a finite, non-negative number with `digits` (0 or 1, but any value in
 * 0..100 works) digits after the decimal point, like Python's `'%.Nf' % x`:
 * correctly rounded from the exact binary value, ties going to the even digit.
 *
 * `Number.prototype.toFixed` is also correctly rounded on the exact binary
 * value, except that it resolves an exact tie towards the larger magnitude.
 * A double `x` is exactly halfway between two multiples of `10**-digits` iff
 * `x * 10**digits` has fractional part exactly 1/2. For `digits = 0` that means
 * `2x` is an odd integer. For `digits = 1`, `10x = m + 1/2` means
 * `x = (2m+1)/20`; a double is a dyadic rational, so 5 must divide `2m+1`,
 * leaving `x = j/4` with `j` odd: `4x` is an odd integer. In general a tie
 * means `2**(digits+1) * x` is an odd integer (the powers of five in `10**digits`
 * cancel the same way). Multiplying by a power of two is exact in binary
 * floating point (no overflow below 1e21), so the test is exact.
 *
 * When a tie is detected, `toFixed` has rounded up; if the last printed digit
 * is then odd, the even neighbour is the one below, which only changes the
 * last digit (an odd digit is at least 1, so there is never a borrow).
 */
function fixedNonNegative(x: number, digits: number): string {
  if (x >= TO_FIXED_LIMIT) {
    // Every double this large is an integer: print it exactly.
    const int = BigInt(x).toString();
    return digits > 0 ? int + '.' + '0'.repeat(digits) : int;
  }
  const s = x.toFixed(digits);
  const scaled = x * 2 ** (digits + 1);
  if (Number.isInteger(scaled) && scaled % 2 === 1) {
    const last = s.charCodeAt(s.length - 1) - 48; // '0' === 48
    if ((last & 1) === 1) {
      return s.slice(0, -1) + String.fromCharCode(48 + last - 1);
    }
  }
  return s;
}

/**
 * Python's `'%.Nf' % x` (or `'%+.Nf' % x` when `sign` is true) for a JS number.
 *
 * - NaN prints `nan` (`+nan` with sign; Python never prints a sign on NaN
 *   otherwise), infinities print `inf` / `-inf` / `+inf`.
 * - `-0` is treated as the integer 0 (Python ints have no negative zero), so it
 *   prints `0`, not `-0`. Any other negative value keeps its `-` even when it
 *   rounds to zero (`-0.4` prints `-0`), as Python does for floats.
 */
function pyFixed(x: number, digits: number, sign: boolean): string {
  if (Number.isNaN(x)) return sign ? '+nan' : 'nan';
  const neg = x < 0;
  const abs = neg ? -x : x === 0 ? 0 : x; // normalise -0 to 0
  const body = abs === Infinity ? 'inf' : fixedNonNegative(abs, digits);
  if (neg) return '-' + body;
  return sign ? '+' + body : body;
}

const SIZE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * Format a size in bytes exactly like CPython's `tracemalloc._format_size(size, sign)`:
 *
 * ```text
 * for unit in B, KiB, MiB, GiB, TiB:
 *     if abs(size) < 100 and unit != 'B': return '%.1f <unit>'  (one decimal)
 *     if abs(size) < 10*1024 or unit == 'TiB': return '%.0f <unit>'  (no decimal)
 *     size /= 1024
 * ```
 *
 * With `sign` true the number always carries a sign (`'+0 B'`, `'+1.5 KiB'`,
 * `'-3 B'`), like Python's `%+.1f` / `%+.0f`.
 *
 * Rounding follows Python's `%f`: correctly rounded from the exact binary value
 * of the double with ties to even (`2.5` gives `'2 B'`, `10496` gives
 * `'10.2 KiB'`), which differs from `Number.prototype.toFixed` at exact ties.
 *
 * Special values: `NaN` gives `'nan TiB'` (`'+nan TiB'` with sign), infinities
 * give `'inf TiB'` / `'-inf TiB'` (`'+inf TiB'` with sign), as in Python.
 * `-0` is treated as the integer 0 (Python ints have no negative zero) and
 * prints `'0 B'`; other negative values that round to zero keep their minus
 * sign (`-0.4` gives `'-0 B'`), as Python does for floats. Values of 1e21 or
 * more (where `toFixed` would switch to exponent notation) are integers and are
 * printed exactly, digit for digit.
 *
 * @param size - the size in bytes (an integer, or a float such as an average)
 * @param sign - whether to always print the sign (`+` for values >= 0)
 * @returns for example `'10 B'`, `'+12.1 KiB'`, `'-100 MiB'`
 */
export function formatSize(size: number, sign: boolean): string {
  let value = size;
  for (let i = 0; i < SIZE_UNITS.length; i++) {
    const unit = SIZE_UNITS[i];
    const abs = Math.abs(value);
    if (abs < 100 && i !== 0) {
      return pyFixed(value, 1, sign) + ' ' + unit;
    }
    if (abs < 10 * 1024 || i === SIZE_UNITS.length - 1) {
      return pyFixed(value, 0, sign) + ' ' + unit;
    }
    value /= 1024;
  }
  /* c8 ignore next */
  throw new Error('unreachable');
}

/**
 * Format a count like Python's `'%i' % n` (or `'%+i' % n` when `sign` is true).
 *
 * Non-integers are truncated toward zero as Python's `%i` does for floats
 * (`2.7` gives `'2'`, `-2.7` gives `'-2'`, `-0.5` gives `'0'`). `-0` prints
 * `'0'` (Python ints have no negative zero). With `sign`, values >= 0 get a
 * `'+'` (`'+0'`). Integers of 1e21 or more are printed exactly, digit for digit
 * (never in exponent notation).
 *
 * @param n - the count
 * @param sign - whether to always print the sign
 * @returns the decimal representation
 * @throws RangeError for NaN or ±Infinity, whose conversion to an integer
 *   Python also refuses (`ValueError` / `OverflowError`)
 */
export function formatCount(n: number, sign: boolean): string {
  if (Number.isNaN(n)) throw new RangeError('cannot convert float NaN to integer');
  if (!Number.isFinite(n)) throw new RangeError('cannot convert float infinity to integer');
  const t = Math.trunc(n);
  const neg = t < 0;
  const abs = neg ? -t : t === 0 ? 0 : t;
  const digits = abs >= TO_FIXED_LIMIT ? BigInt(abs).toString() : String(abs);
  if (neg) return '-' + digits;
  return sign ? '+' + digits : digits;
}

// ---------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------

/**
 * Code points Python's `str.isprintable()` rejects, besides the ASCII ones
 * (which the repr code handles itself): general categories Cc, Cf, Cs, Co, Cn,
 * Zl, Zp and Zs. (The ASCII space, also Zs, never reaches this test.)
 * With the `u` flag a lone surrogate is one code point and matches `\p{Cs}`.
 */
const NON_PRINTABLE_RE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

/**
 * Any UTF-16 unit that keeps a string off the repr fast path: ASCII controls,
 * DEL, everything non-ASCII, the backslash, and both quote characters.
 */
const REPR_SLOW_RE = /[\x00-\x1f\x7f-\uffff\\'"]/;

const HEX = '0123456789abcdef';

function hexPad(cp: number, width: number): string {
  let out = '';
  for (let i = width - 1; i >= 0; i--) out += HEX[(cp >>> (4 * i)) & 15];
  return out;
}

/**
 * Python's `repr()` of a `str`, applied to a JS string whose code points are
 * the Python string's code points (iteration is by code point; a lone
 * surrogate counts as one code point, e.g. `'\udcff'` from surrogateescape).
 *
 * - Quotes with `'`, unless the string contains `'` and no `"`, then with `"`.
 * - Escapes `\\`, the chosen quote, `\t`, `\n`, `\r`.
 * - Other non-printable code points (those for which Python's
 *   `str.isprintable()` is false: categories Cc, Cf, Cs, Co, Cn, Zl, Zp, and
 *   Zs other than the ASCII space) become `\xNN` (below 0x100), `\uNNNN`
 *   (below 0x10000) or `\UNNNNNNNN`, with lowercase hex digits.
 * - Printable non-ASCII characters (`é`, `😀`) are kept as they are.
 *
 * Printability of non-ASCII characters comes from the JS engine's Unicode
 * tables (`\p{...}` regex property escapes). Those can be newer than the
 * Python build's Unicode database, so a code point assigned only in the newer
 * Unicode version (category Cn for the older Python) is printed raw here while
 * that Python escapes it; everything else agrees.
 *
 * Plain printable ASCII strings take a fast path with a single regex test.
 *
 * @param s - the string
 * @returns the Python repr, quotes included
 */
export function pyRepr(s: string): string {
  if (!REPR_SLOW_RE.test(s)) return "'" + s + "'";
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x7f) {
      if (ch === quote || ch === '\\') out += '\\' + ch;
      else if (cp >= 0x20) out += ch;
      else if (cp === 0x09) out += '\\t';
      else if (cp === 0x0a) out += '\\n';
      else if (cp === 0x0d) out += '\\r';
      else out += '\\x' + hexPad(cp, 2);
    } else if (cp === 0x7f || NON_PRINTABLE_RE.test(ch)) {
      if (cp < 0x100) out += '\\x' + hexPad(cp, 2);
      else if (cp < 0x10000) out += '\\u' + hexPad(cp, 4);
      else out += '\\U' + hexPad(cp, 8);
    } else {
      out += ch;
    }
  }
  return out + quote;
}

/**
 * Whether a UTF-16 unit is Python whitespace (`str.isspace()`). All such
 * characters are in the BMP: \t \n \x0b \x0c \r \x1c-\x1f space \x85 \xa0
 * \u1680 \u2000-\u200a \u2028 \u2029 \u202f \u205f \u3000.
 */
function isPySpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/**
 * Python's `str.strip()` with no argument: removes leading and trailing
 * characters for which Python's `str.isspace()` is true, namely
 * `\t \n \x0b \x0c \r \x1c \x1d \x1e \x1f`, space, `\x85`, `\xa0`, `\u1680`,
 * `\u2000`-`\u200a`, `\u2028`, `\u2029`, `\u202f`, `\u205f`, `\u3000`.
 *
 * Unlike `String.prototype.trim`, it strips `\x1c`-`\x1f` and `\x85`, and it
 * does NOT strip `\ufeff` (the byte order mark).
 *
 * @param s - the string
 * @returns the string without surrounding Python whitespace
 */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPySpace(s.charCodeAt(start))) start++;
  while (end > start && isPySpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

// ---------------------------------------------------------------------------
// Type names and ordering
// ---------------------------------------------------------------------------

/**
 * The name of the Python type a JS value stands for, for CPython-style error
 * messages such as `filters must be a list of filters, not NoneType`.
 *
 * - `null`, `undefined` → `'NoneType'`
 * - boolean → `'bool'`
 * - integral number → `'int'`; any other number (fractions, NaN, ±Infinity) → `'float'`
 * - bigint → `'int'`
 * - string → `'str'`
 * - function (including classes) → `'function'`
 * - symbol → `'symbol'`
 * - array → `'list'`
 * - any other object → the name of its constructor (an instance of class
 *   `Filter` gives `'Filter'`, a plain object gives `'Object'`), or
 *   `'object'` when it has none (e.g. `Object.create(null)`).
 *
 * @param value - any JS value
 * @returns the type name
 */
export function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'string':
      return 'str';
    case 'function':
      return 'function';
    case 'symbol':
      return 'symbol';
    default:
      break;
  }
  if (Array.isArray(value)) return 'list';
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== null && (typeof proto === 'object' || typeof proto === 'function')) {
      const ctor: unknown = (proto as { constructor?: unknown }).constructor;
      if (typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name !== '') {
        return ctor.name;
      }
    }
  } catch {
    // A revoked proxy or a throwing getter: fall through.
  }
  return 'object';
}

function isSurrogate(c: number): boolean {
  return (c & 0xf800) === 0xd800;
}

function isLeadSurrogate(c: number): boolean {
  return (c & 0xfc00) === 0xd800;
}

/**
 * Compare two strings by Unicode code point, the way Python orders `str`
 * values, returning -1, 0 or 1.
 *
 * JS `<` compares UTF-16 units, which disagrees with code point order when a
 * surrogate pair (an astral character, U+10000 and above) meets a BMP
 * character in U+E000..U+FFFF: `'\uff01' < '😀'` is false in JS but true in
 * Python. A lone surrogate compares as its own code point value
 * (U+D800..U+DFFF).
 *
 * Fast path: UTF-16 units are compared until the first difference; only when
 * one of the two differing units is a surrogate are code points decoded.
 *
 * @param a - first string
 * @param b - second string
 * @returns -1 if `a` sorts first, 1 if `b` does, 0 if they are equal
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) {
    // One is a prefix of the other (in UTF-16 units). If the shorter one ends
    // in a lone lead surrogate that the longer one pairs up, the shorter still
    // sorts first (U+D8xx < U+10000), so length order is code point order.
    return a.length < b.length ? -1 : 1;
  }
  const ca = a.charCodeAt(i);
  const cb = b.charCodeAt(i);
  if (!isSurrogate(ca) && !isSurrogate(cb)) return ca < cb ? -1 : 1;
  // The code point containing unit i may start at i - 1 (a shared lead
  // surrogate that one side pairs with a trail surrogate at i).
  if (i > 0 && isLeadSurrogate(a.charCodeAt(i - 1))) {
    const pa = a.codePointAt(i - 1) as number;
    const pb = b.codePointAt(i - 1) as number;
    if (pa !== pb) return pa < pb ? -1 : 1;
    // Both sides have a lone lead at i - 1; the difference starts at i.
  }
  const pa = a.codePointAt(i) as number;
  const pb = b.codePointAt(i) as number;
  return pa < pb ? -1 : 1;
}
