/**
 * V8 call frames (inspector protocol) as engine frames.
 * @module
 */
import { fileURLToPath } from 'node:url'

/** A call frame of the inspector protocol (`Runtime.CallFrame`). */
export interface CallFrame {
  functionName: string
  scriptId: string
  url: string
  /** 0-based; -1 when unknown. */
  lineNumber: number
  /** 0-based; -1 when unknown. */
  columnNumber: number
}

/**
 * Turns a script URL into a file name: `file://` URLs become paths; others stay.
 * Sampled mode's copy of the engine's rule (`tracemalloc_core::names::script_path`).
 */
export function fileOfUrl(url: string): string {
  if (url === '') return '<unknown>'
  if (url.startsWith('file://')) {
    try {
      return fileURLToPath(url)
    } catch {
      return url
    }
  }
  return url
}

/**
 * The frame fields of a V8 call frame: file (a path), 1-based line and
 * column (0 when unknown), and the function name. V8 reports where the
 * allocating *function* starts, not the allocating line. A frame without a
 * script, such as `(garbage collector)`, becomes `<unknown>` with that name.
 */
export function frameOfCallFrame(cf: CallFrame): [file: string, line: number, column: number, func: string] {
  const line = cf.lineNumber >= 0 ? cf.lineNumber + 1 : 0
  const column = cf.columnNumber >= 0 ? cf.columnNumber + 1 : 0
  return [fileOfUrl(cf.url), line, column, cf.functionName]
}
