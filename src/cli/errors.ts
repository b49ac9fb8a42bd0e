/**
 * The CLI's errors and exit codes: 0 ok, 1 a check failed, 2 a usage or
 * input error. Every message names what was wrong (the option, or the file
 * and what is wrong with it).
 * @module
 */

/** Exit code of a successful command. */
export const EXIT_OK = 0
/** Exit code of a failed check (`compare --fail-over`) or an unexpected failure. */
export const EXIT_FAILED = 1
/** Exit code of a usage error (bad option, missing argument) or an input error (missing or unreadable file). */
export const EXIT_USAGE = 2

/** A command line that cannot be run; the message says why, and the verb's usage follows it. */
export class UsageError extends Error {}

/** An input that cannot be read: a missing, foreign or damaged file. The message names the file. */
export class InputError extends Error {}

/** Prefixes `message` with `file: ` unless it already names the file. */
export function aboutFile(file: string, message: string): string {
  return message.includes(file) ? message : `${file}: ${message}`
}
