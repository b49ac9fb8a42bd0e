/**
 * `node --import tracemalloc/register app.js` (or `--require`): starts
 * tracing before the app runs when TRACEMALLOC=<nframe> is set, like
 * PYTHONTRACEMALLOC. TRACEMALLOC_MODE (`sampled` or `exact`),
 * TRACEMALLOC_INTERVAL (bytes) and TRACEMALLOC_WORKERS=1 are optional. When TRACEMALLOC_REPORT holds
 * `{"top": 10, "keyType": "lineno"}` (the CLI's `run` sets it), a report is
 * printed to stderr as the process ends. In a worker created while the main
 * thread traces with `workers: true`, it traces the worker (see capture/workers).
 * @module
 */
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads'

import { keepScriptsResolvable } from './capture/keep-scripts'
import { CHANNEL, HubClient, WORKER_ENV, type HubMessage, type WorkerTraceConfig } from './capture/workers'

import { finishReport } from './cli/child'
import { REPORT_ENV, type ReportConfig } from './cli/report-config'
import { readEnvConfig } from './envconfig'
import { enableSourceMaps } from './sourcemaps'
import { clearTraces, start, stop, syncNow } from './tracemalloc'

/**
 * V8 resolves a sampled frame's file and line only when the profile is
 * read, and loses them once the script is collected, which at the end of a
 * program is common. For the report, scripts are kept resolvable through
 * V8's precise coverage (see capture/keep-scripts), which keeps no module
 * scope alive and leaves the program's code and sources as they are.
 * Reading the profile now and then while the program runs records frames
 * too: 50 ms after start, doubling up to every 2 s (each read forces a full GC).
 */
function keepFramesResolved(): void {
  keepScriptsResolvable()
  let delay = 50
  const tick = () => {
    syncNow()
    delay = Math.min(delay * 2, 2000)
    setTimeout(tick, delay).unref()
  }
  setTimeout(tick, delay).unref()
}

/**
 * In a worker created while the main thread traces with `workers: true`:
 * trace this thread's heap into its own domain, sync when the main thread
 * asks, and once more on exit, so the traces outlive the worker.
 */
function traceWorker(cfg: WorkerTraceConfig): void {
  try {
    start(cfg.nframe, { mode: cfg.mode, samplingInterval: cfg.samplingInterval, offload: false, rawFrames: Boolean(cfg.rawFrames) })
  } catch (e) {
    // Tracing must not keep the worker from running (for example when
    // `node --heap-prof` runs V8's sampler in every thread).
    process.stderr.write(`tracemalloc: worker ${threadId} is not traced: ${(e as Error).message}\n`)
    return
  }
  const channel = new BroadcastChannel(CHANNEL)
  channel.unref()
  const say = (m: HubMessage) => channel.postMessage(m)
  const client = new HubClient()
  say(client.hello(threadId))
  channel.onmessage = (e: unknown) => {
    const m = (e as { data: HubMessage }).data
    if (m.type === 'sync') {
      client.answer(m, syncNow)
    } else if (m.type === 'clear') {
      clearTraces()
    } else if (m.type === 'stop') {
      stop()
      channel.close()
    }
  }
  process.once('exit', () => {
    syncNow()
    say({ type: 'bye', id: threadId })
  })
}

function main(): void {
  if (!isMainThread) {
    const worker = process.env[WORKER_ENV]
    if (worker) traceWorker(JSON.parse(worker) as WorkerTraceConfig)
    return
  }
  const cfg = readEnvConfig()
  if (cfg.nframe === 0) return
  // Frames of compiled code (TypeScript...) name their sources from the first module on.
  enableSourceMaps()
  start(cfg.nframe, { mode: cfg.mode, samplingInterval: cfg.samplingInterval, workers: cfg.workers, rawFrames: cfg.rawFrames })
  const report = process.env[REPORT_ENV]
  if (report) {
    const rc = JSON.parse(report) as ReportConfig
    if (cfg.mode === 'sampled') keepFramesResolved()
    finishReport(rc)
  }
}

main()
