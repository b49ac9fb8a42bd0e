/**
 * Checking a figure against a limit and a baseline, the one verdict that
 * `limitMemory`, the matchers and the runner helpers share: it records the
 * result, builds the failure message, saves the snapshots and emits the
 * GitHub annotation.
 * @module
 */
import { relative } from 'node:path'

import type { Snapshot } from '../snapshot'
import { checkBaseline, type BaselineVerdict } from './baseline'
import { settings, type Figure } from './config'
import type { Measurement } from './measure'
import { captureNote, emitAnnotation, formatSites, githubAnnotation, saveFailure } from './report'
import { recordResult } from './results'
import type { Site } from './sites'
import { describeLimit, formatBytes, parseBytes, type ByteLimit } from './units'

/** Options of a budget check. */
export interface BudgetOptions {
  /**
   * The budget's name: the key of its baseline in `memory-budgets.json` and
   * of its entry in the results file (the runner integrations use the test's
   * name). Without a name no baseline applies.
   */
  name?: string
  /** This budget's baseline tolerance (0.25 = 25%), instead of the configured default (10%). */
  tolerance?: number
}

/** A failed budget: the message says what, and `files` are the snapshots saved. */
export class MemoryBudgetError extends Error {
  /** What was limited. */
  readonly figure: string
  /** Measured bytes. */
  readonly measured: number
  /** The limit in bytes, or null when the baseline failed alone. */
  readonly limit: number | null
  /** Snapshot files written for `tracemalloc` tools. */
  readonly files: string[]

  constructor(message: string, figure: string, measured: number, limit: number | null, files: string[]) {
    super(message)
    this.name = 'MemoryBudgetError'
    this.figure = figure
    this.measured = measured
    this.limit = limit
    this.files = files
  }
}

/** The verdict of one check. */
export interface Verdict {
  /** True when the measured figure is within the budget. */
  pass: boolean
  /** For a failure: the whole report. For a pass: one line saying what was measured (used by `.not`). */
  message: string
  /** The error to throw when `pass` is false. */
  error: MemoryBudgetError | null
}

const WHAT: Record<Figure, string> = {
  allocated: 'allocated',
  peak: 'peaked at',
  retained: 'retained',
}

const SITES_TITLE: Record<Figure, string> = {
  allocated: 'sites that allocated (collected objects included)',
  peak: 'sites that allocated while it ran (collected objects included)',
  retained: 'sites still live after a full GC',
}

const keysSeen = new Map<string, number>()

/** `name › figure`, with ` #2`, ` #3` for repeated checks of one name in this process. */
export function budgetKey(name: string, figure: string): string {
  const base = `${name} › ${figure}`
  const n = (keysSeen.get(base) ?? 0) + 1
  keysSeen.set(base, n)
  return n === 1 ? base : `${base} #${n}`
}

function sitesFor(m: Measurement, figure: Figure): { sites: readonly Site[]; title: string; note: string | null } {
  if (figure === 'retained') return { sites: m.sites.retained, title: SITES_TITLE.retained, note: null }
  if (m.sites.allocated) return { sites: m.sites.allocated, title: SITES_TITLE[figure], note: null }
  return {
    sites: [],
    title: SITES_TITLE[figure],
    note: `sampled mode keeps no sites of collected objects; rerun with TRACEMALLOC_TEST_MODE=exact to list them. Retained: ${formatBytes(m.retained)}`,
  }
}

function baselineLine(v: BaselineVerdict, file: string): string | null {
  const where = relative(process.cwd(), file) || file
  switch (v.status) {
    case 'none':
      return null
    case 'recorded':
      return `baseline: recorded ${formatBytes(v.entry.value)} in ${where} (TRACEMALLOC_UPDATE)`
    case 'other-capture':
      return `baseline: ${where} holds a value taken in ${captureNote(v.entry.mode, v.entry.samplingInterval)}; not compared (rerun with TRACEMALLOC_UPDATE=1)`
    default:
      return `baseline: ${formatBytes(v.entry.value)} in ${where}, allowed up to ${formatBytes(v.allowed)} (+${Math.round(v.tolerance * 100)}% and slack)`
  }
}

/** A check's inputs, for {@link judge}. */
export interface Judged {
  name: string
  figure: string
  /** What the failure line says was measured: `retained 1.2 MB`. */
  what: string
  measured: number
  limit: ByteLimit | undefined
  mode: 'sampled' | 'exact'
  samplingInterval: number | null
  /** Extra lines after the first (other figures, fit details). */
  details: string[]
  sites: readonly Site[]
  sitesTitle: string
  sitesNote: string | null
  /** Unit after each site's size, such as `/iteration`. */
  sizeSuffix?: string
  snapshots: Record<string, Snapshot>
  options: BudgetOptions
  /** Whether the limit is exceeded, when that is not simply `measured > limit` (leaks). */
  overLimit?: boolean
  /** False for figures that have no baseline (leak slopes). */
  baseline?: boolean
}

/**
 * Judges a value against its limit and baseline: records the result,
 * and for a failure saves the snapshots, formats the report and emits the
 * GitHub annotation.
 */
export function judge(j: Judged): Verdict {
  const cfg = settings()
  const limitBytes = j.limit === undefined ? null : parseBytes(j.limit, 'limit')
  if (j.options.tolerance !== undefined && !(j.options.tolerance >= 0)) throw new RangeError(`tolerance must be a non-negative number (0.1 is 10%), got ${String(j.options.tolerance)}`)
  const key = j.options.name === undefined ? null : budgetKey(j.options.name, j.figure)
  const baseline: BaselineVerdict =
    key === null || j.baseline === false
      ? { status: 'none' }
      : checkBaseline(cfg.budgetsFile, key, j.measured, { mode: j.mode, samplingInterval: j.samplingInterval }, {
          update: cfg.update,
          tolerance: cfg.tolerance,
          toleranceOverride: j.options.tolerance,
        })
  const overLimit = j.overLimit ?? (limitBytes !== null && j.measured > limitBytes)
  const grew = baseline.status === 'grew'
  const pass = !overLimit && !grew
  const head = `tracemalloc: ${JSON.stringify(j.name)} ${j.what} ${formatBytes(j.measured)}`
  const how = `(${captureNote(j.mode, j.samplingInterval)}${j.mode === 'sampled' ? ', an estimate' : ''})`
  let message: string
  let files: string[] = []
  if (pass) {
    const within = limitBytes === null ? '' : `, within its limit of ${describeLimit(j.limit!, limitBytes)}${j.sizeSuffix ?? ''}`
    message = `${head}${within} ${how}`
  } else {
    files = saveFailure(cfg.reportDir, j.name, j.snapshots)
    const reasons: string[] = []
    if (overLimit) reasons.push(`over its limit of ${describeLimit(j.limit!, limitBytes!)}${j.sizeSuffix ?? ''}`)
    if (grew && baseline.status === 'grew') {
      const pct = baseline.entry.value > 0 ? `${Math.round((j.measured / baseline.entry.value - 1) * 100)}% ` : ''
      reasons.push(`${pct}over its baseline of ${formatBytes(baseline.entry.value)}`)
    }
    const lines = [`${head}, ${reasons.join(' and ')} ${how}`, ...j.details.map((d) => `  ${d}`)]
    const b = baselineLine(baseline, cfg.budgetsFile)
    if (b) lines.push(`  ${b}`)
    const shown = Math.min(cfg.top, j.sites.length)
    if (shown > 0) lines.push(`Top ${shown} of ${j.sites.length} ${j.sitesTitle}:`)
    else if (!j.sitesNote) lines.push(`No ${j.sitesTitle} were traced.`)
    lines.push(...formatSites(j.sites, cfg.top, j.sizeSuffix))
    if (j.sitesNote) lines.push(`(${j.sitesNote})`)
    if (files.length > 0) lines.push(`Snapshots (for tracemalloc tools): ${files.join(', ')}`)
    message = lines.join('\n')
    emitAnnotation(githubAnnotation(j.sites[0], `memory budget: ${j.name}`, lines[0]!))
  }
  if (key !== null || cfg.resultsFile !== null) {
    const b = baseline.status === 'within' || baseline.status === 'grew' ? baseline.entry.value : null
    if (cfg.resultsFile !== null) {
      recordResult(cfg.resultsFile, key ?? `${j.name} › ${j.figure}`, {
        name: j.name,
        figure: j.figure,
        value: j.measured,
        limit: limitBytes,
        baseline: b,
        pass,
        mode: j.mode,
        samplingInterval: j.samplingInterval,
        files,
        time: Date.now(),
        pid: process.pid,
      })
    }
  }
  return { pass, message, error: pass ? null : new MemoryBudgetError(message, j.figure, j.measured, limitBytes, files) }
}

/** Judges one figure of a measurement against `limit` (and its baseline when named). */
export function checkFigure(m: Measurement, figure: Figure, limit: ByteLimit | undefined, options: BudgetOptions = {}): Verdict {
  const { sites, title, note } = sitesFor(m, figure)
  const others = (['allocated', 'peak', 'retained'] as const).filter((f) => f !== figure).map((f) => `${f} ${formatBytes(m[f])}`)
  return judge({
    name: options.name ?? m.name,
    figure,
    what: WHAT[figure],
    measured: m[figure],
    limit,
    mode: m.mode,
    samplingInterval: m.samplingInterval,
    details: [`also measured: ${others.join(', ')}; ${describeFigure(figure)}`],
    sites,
    sitesTitle: title,
    sitesNote: note,
    snapshots: { before: m.before, after: m.after },
    options: { ...options, name: options.name },
  })
}

function describeFigure(figure: Figure): string {
  switch (figure) {
    case 'allocated':
      return 'allocated = bytes the JS heap took in while the function ran, collected objects included'
    case 'peak':
      return 'peak = highest JS heap use while the function ran, above the start, garbage not yet collected included'
    case 'retained':
      return 'retained = traced bytes still live after a full GC, minus those live before'
  }
}
