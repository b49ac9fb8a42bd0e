/**
 * Reading tracing settings from the environment, the counterpart of
 * CPython's PYTHONTRACEMALLOC: TRACEMALLOC=<nframe>, TRACEMALLOC_MODE and
 * TRACEMALLOC_INTERVAL.
 * @module
 */

/** Settings read from the environment; `nframe` 0 means do not trace. */
export interface EnvConfig {
  nframe: number
  mode: 'sampled' | 'exact'
  samplingInterval: number | undefined
  /** TRACEMALLOC_WORKERS=1: trace worker threads too. */
  workers: boolean
  /** TRACEMALLOC_RAW_FRAMES=1: keep builtin frames instead of folding them into their callers. */
  rawFrames: boolean
}

/**
 * Parses an integer as CPython parses PYTHONTRACEMALLOC (C `strtol`, base
 * 10): leading whitespace and a sign are allowed, anything after the digits
 * is not. Returns undefined for invalid text.
 */
export function parseStrtol(text: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(text)
  if (!m) return undefined
  const n = Number(m[1])
  return Number.isSafeInteger(n) ? n : undefined
}

/** Reads TRACEMALLOC, TRACEMALLOC_MODE, TRACEMALLOC_INTERVAL and TRACEMALLOC_WORKERS; throws naming a bad value. */
export function readEnvConfig(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  const raw = env.TRACEMALLOC ?? ''
  let nframe = 0
  if (raw !== '') {
    const n = parseStrtol(raw)
    if (n === undefined || n < 0) throw new Error(`TRACEMALLOC: invalid number of frames: ${JSON.stringify(raw)}`)
    if (n > 65535) throw new RangeError(`TRACEMALLOC: the number of frames must be in range [1; 65535], got ${n}`)
    nframe = n
  }
  const mode = env.TRACEMALLOC_MODE || 'sampled'
  if (mode !== 'sampled' && mode !== 'exact') {
    throw new Error(`TRACEMALLOC_MODE must be 'sampled' or 'exact', not ${JSON.stringify(mode)}`)
  }
  let samplingInterval: number | undefined
  if (env.TRACEMALLOC_INTERVAL) {
    const n = parseStrtol(env.TRACEMALLOC_INTERVAL)
    if (n === undefined || n < 1) throw new Error(`TRACEMALLOC_INTERVAL: invalid number of bytes: ${JSON.stringify(env.TRACEMALLOC_INTERVAL)}`)
    samplingInterval = n
  }
  const workers = (env.TRACEMALLOC_WORKERS ?? '') !== '' && env.TRACEMALLOC_WORKERS !== '0'
  const rawFrames = (env.TRACEMALLOC_RAW_FRAMES ?? '') !== '' && env.TRACEMALLOC_RAW_FRAMES !== '0'
  return { nframe, mode, samplingInterval, workers, rawFrames }
}
