/**
 * JavaScript type names for error messages: `null`, `bigint`, `Array`, a
 * class name. (CPython's names, for the few messages whose exact CPython
 * text matters, come from `pyTypeName` in pyformat.)
 * @module
 */

/**
 * The name of a value's type as a JavaScript user would say it: `null`,
 * `undefined`, `number`, `bigint`, `string`, `boolean`, `symbol`,
 * `function`, `Array`, or an object's constructor name (`Object`, `Map`,
 * `Filter`; `object` when it has none).
 */
export function jsTypeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'Array'
  const t = typeof value
  if (t !== 'object') return t
  const ctor = (value as { constructor?: { name?: unknown } }).constructor
  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'object'
}
