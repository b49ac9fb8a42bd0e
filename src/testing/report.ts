/**
 * Failure messages in the manner of pytest-memray's: what the limit was,
 * what was measured and how, the top sites as `file:line function size
 * count`, the snapshot files written for `tracemalloc` tools, and, on GitHub
 * Actions, an `::error` annotation at the top site.
 * @module
 */
import { join, relative } from 'node:path'

import type { Snapshot } from '../snapshot'
import { saveSnapshot } from './files'
import { siteLocation, type Site } from './sites'
import { formatBytes } from './units'

/** How a figure was captured, for messages: `sampled mode at 512 B` or `exact mode`. */
export function captureNote(mode: 'sampled' | 'exact', samplingInterval: number | null): string {
  if (mode === 'exact') return 'exact mode'
  const i = samplingInterval ?? 0
  const interval = i % 1024 === 0 ? `${i / 1024} KiB` : `${i} B`
  return `sampled mode at ${interval}`
}

/** Site lines: `file:line function size count`, aligned, at most `top`. */
export function formatSites(sites: readonly Site[], top: number, sizeSuffix = ''): string[] {
  const shown = sites.slice(0, top)
  const loc = shown.map((s) => `${siteLocation(s)} ${s.function || '(anonymous)'}`)
  const width = Math.max(0, ...loc.map((l) => l.length))
  const count = (n: number) => (Number.isInteger(n) || Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1))
  return shown.map((s, i) => `  ${loc[i]!.padEnd(width)}  ${formatBytes(s.size).padStart(9)}${sizeSuffix}  ${count(s.count).padStart(8)} objects${sizeSuffix}`)
}

/** A file name made from a label: letters, digits, `-` and `_` only, at most 80 characters. */
export function slug(label: string): string {
  const s = label.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '')
  return (s || 'measurement').slice(0, 80)
}

let saved = 0

/** Saves `snapshots` under `dir` for a failing measurement; returns the files, or the error text when writing failed. */
export function saveFailure(dir: string, label: string, snapshots: Record<string, Snapshot>): string[] {
  const stem = join(dir, `${slug(label)}-${process.pid}-${++saved}`)
  const files: string[] = []
  try {
    for (const [which, snap] of Object.entries(snapshots)) files.push(saveSnapshot(snap, `${stem}.${which}.json`))
  } catch (e) {
    files.push(`(could not save the snapshots: ${(e as Error).message})`)
  }
  return files
}

/** Escapes a GitHub workflow command's message. */
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

/** Escapes a GitHub workflow command's property value. */
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

/**
 * The `::error file=…,line=…,title=…::message` line that makes GitHub show
 * `message` at `site`, or null when not on GitHub Actions (`GITHUB_ACTIONS`
 * unset) or the site has no file. The path is made relative to
 * `GITHUB_WORKSPACE` (or the current directory).
 */
export function githubAnnotation(site: Site | undefined, title: string, message: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (!env.GITHUB_ACTIONS || !site || site.file.startsWith('node:') || site.file === '<unknown>') return null
  const base = env.GITHUB_WORKSPACE || process.cwd()
  const rel = relative(base, site.file)
  const file = rel.startsWith('..') ? site.file : rel
  const col = site.column === null ? '' : `,col=${site.column}`
  return `::error file=${escapeProperty(file)},line=${site.line}${col},title=${escapeProperty(title)}::${escapeData(message)}`
}

/** Prints a GitHub annotation on its own line of stdout, where the runner picks workflow commands up. */
export function emitAnnotation(line: string | null): void {
  if (line !== null) process.stdout.write(`\n${line}\n`)
}
