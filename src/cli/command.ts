/**
 * What every verb of the `tracemalloc` command shares: its description
 * (usage text and `node:util` `parseArgs` options), the parsing of its
 * arguments with usage errors that name the option, and the `--json` and
 * `--help` options every verb takes.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'

import { UsageError } from './errors'

/** `parseArgs` option descriptions. */
export type Options = NonNullable<ParseArgsConfig['options']>

/** Parsed values: strings, booleans, or arrays of them for repeatable options. */
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>

/** One verb: `tracemalloc <name> ...`. */
export interface Verb {
  /** The verb, as typed. */
  name: string
  /** One line for the command's overall help. */
  summary: string
  /** The verb's usage text (`tracemalloc <name> --help`). */
  usage: string
  /** Its options, besides `--json` and `--help`. */
  options: Options
  /** Runs it with parsed arguments; resolves to the exit code. */
  run(values: Values, positionals: string[]): Promise<number>
}

/** The options every verb takes. */
export const COMMON_OPTIONS: Options = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
}

/** Usage lines of {@link COMMON_OPTIONS}. */
export const COMMON_USAGE = `  --json            print only JSON on stdout (messages go to stderr)
  -h, --help        show this help`

/** Parses `argv` for `verb` (strict: unknown options and missing values are usage errors). */
export function parseVerbArgs(verb: Verb, argv: string[]): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...verb.options, ...COMMON_OPTIONS },
      strict: true,
      allowPositionals: true,
    })
    return { values: values as Values, positionals }
  } catch (e) {
    // parseArgs' messages name the option; drop its hint about '--' when it does not apply.
    throw new UsageError((e as Error).message.replace(/\s*To specify a positional argument starting with a '-'.*$/s, ''))
  }
}

/** Checks the number of positional arguments, naming what is missing or extra. */
export function expectPositionals(positionals: string[], names: string[]): string[] {
  if (positionals.length < names.length) {
    throw new UsageError(`missing ${names.slice(positionals.length).join(' and ')}`)
  }
  if (positionals.length > names.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[names.length])}`)
  }
  return positionals
}

/** A string option's value, or `undefined`. */
export function stringOption(values: Values, name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

/** A repeatable string option's values. */
export function stringList(values: Values, name: string): string[] {
  const v = values[name]
  if (v === undefined) return []
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string')
}

/** Parses an integer option in `[min, max]`, or returns `fallback` when absent. */
export function integerOption(values: Values, name: string, min: number, max: number, fallback: number): number
export function integerOption(values: Values, name: string, min: number, max: number): number | undefined
export function integerOption(values: Values, name: string, min: number, max: number, fallback?: number): number | undefined {
  const v = stringOption(values, name)
  if (v === undefined) return fallback
  const n = Number(v)
  if (!/^\d+$/.test(v) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`)
  }
  return n
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 2 ** 20, g: 1e9, gb: 1e9, gib: 2 ** 30 }

/** Parses a byte size (`4096`, `10MiB`, `1.5 GB`) for option `--name`. */
export function sizeOption(values: Values, name: string): number | undefined {
  const v = stringOption(values, name)
  if (v === undefined) return undefined
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v)
  const unit = m === null ? undefined : UNITS[m[2]!.toLowerCase()]
  if (m === null || unit === undefined) {
    throw new UsageError(`--${name} must be a size in bytes such as 4096, 512KiB or 10MB, got ${JSON.stringify(v)}`)
  }
  return Number(m[1]) * unit
}

/** Writes a JSON document (one line) to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

/** Writes lines to stdout. */
export function printLines(lines: string[]): void {
  process.stdout.write(lines.length === 0 ? '' : `${lines.join('\n')}\n`)
}
