/**
 * `tracemalloc run`, the parent's side: starts the program in a child Node
 * process with tracing preloaded, forwards the signals that end programs,
 * and ends the way the program ended.
 *
 * - SIGINT, SIGTERM and SIGHUP sent to `tracemalloc run` are forwarded to
 *   the program, once. A Ctrl-C typed in a terminal already reaches the
 *   program (it shares the terminal's foreground process group), so a SIGINT
 *   that arrives while `run` is in the foreground of its terminal is not
 *   sent again: a program that counts its signals sees one.
 * - The program prints its own report as it ends, whichever way (see
 *   `child.ts`).
 * - Its exit code is passed through; when a signal ended it, `run` re-raises
 *   that signal on itself, so a shell sees the same death (130 for SIGINT in
 *   `$?`); should that signal not end `run` (it is ignored, as under
 *   `nohup`), `run` exits with 128 + the signal number.
 * @module
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { constants } from 'node:os'

import type { RunArgs } from './args'
import { REPORT_ENV, type ReportConfig } from './report-config'

/** The signals forwarded to the program. */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** How the program ended: an exit code, or the signal that killed it. */
export type Ending = { code: number } | { signal: NodeJS.Signals }

/**
 * True when this process is in the foreground process group of its
 * controlling terminal (Linux: `/proc/self/stat`), where a Ctrl-C from the
 * terminal also reaches the program. False when unknown.
 */
function inTerminalForeground(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    // Fields after the command name (which may hold spaces and parentheses):
    // state ppid pgrp session tty_nr tpgid ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const [pgrp, ttyNr, tpgid] = [Number(fields[2]), Number(fields[4]), Number(fields[5])]
    return ttyNr !== 0 && tpgid > 0 && tpgid === pgrp
  } catch {
    return false
  }
}

/** Runs the program traced; resolves with how it ended. */
export function runTraced(a: RunArgs): Promise<Ending> {
  const register = require.resolve('../register')
  const report: ReportConfig = { top: a.top, keyType: a.keyType, output: a.output }
  const child = spawn(process.execPath, ['--require', register, a.script, ...a.args], {
    stdio: 'inherit',
    env: {
      ...process.env,
      TRACEMALLOC: String(a.nframe),
      TRACEMALLOC_MODE: a.exact ? 'exact' : 'sampled',
      TRACEMALLOC_INTERVAL: a.interval === undefined ? '' : String(a.interval),
      [REPORT_ENV]: JSON.stringify(report),
    },
  })
  const forward = (sig: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    if (sig === 'SIGINT' && inTerminalForeground()) return
    child.kill(sig)
  }
  for (const sig of FORWARDED_SIGNALS) process.on(sig, forward)
  return new Promise<Ending>((done, fail) => {
    child.once('error', (e) => {
      for (const sig of FORWARDED_SIGNALS) process.removeListener(sig, forward)
      fail(e)
    })
    child.once('exit', (code, signal) => {
      for (const sig of FORWARDED_SIGNALS) process.removeListener(sig, forward)
      done(signal !== null ? { signal } : { code: code ?? 1 })
    })
  })
}

/**
 * Ends this process the way the program ended: with its exit code, or by
 * its signal (128 + the signal number if that signal does not end us).
 */
export function endLike(ending: Ending): void {
  if ('code' in ending) {
    process.exitCode = ending.code
    return
  }
  const n = constants.signals[ending.signal] ?? 0
  process.kill(process.pid, ending.signal)
  // Still here: the signal is ignored or handled elsewhere.
  setTimeout(() => process.exit(128 + n), 200)
}
