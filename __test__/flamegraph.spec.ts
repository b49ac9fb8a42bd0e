/**
 * The HTML flame graph in a real headless Chromium (Debian's, driven by
 * playwright-core): it renders the expected frames with the right labels,
 * widths follow sizes, hover shows the details, search finds frames,
 * clicking a frame zooms so that it spans the full width, the differential
 * graph colours growth and shrinkage and keeps frames found only in the
 * base, and the page makes no request at all.
 *
 * Without /usr/bin/chromium (`.ci/setup/10-chromium.sh` installs it) these
 * tests are skipped loudly, or fail when TRACEMALLOC_REQUIRE_BROWSER=1 (as
 * in CI).
 */
import test, { type ExecutionContext } from 'ava'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type Browser, type Locator, type Page } from 'playwright-core'

import { Snapshot, type RawTrace } from '../index'

const CHROMIUM = '/usr/bin/chromium'
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const present = existsSync(CHROMIUM)
const required = process.env.TRACEMALLOC_REQUIRE_BROWSER === '1'
if (!present) {
  const line = '!'.repeat(78)
  console.error(
    `\n${line}\n!! ${CHROMIUM} is missing: the flame graph browser tests ${required ? 'FAIL (TRACEMALLOC_REQUIRE_BROWSER=1)' : 'are SKIPPED'}.\n` +
      `!! Install it with: bash .ci/setup/10-chromium.sh\n${line}\n`,
  )
}
const browserTest = present || required ? test.serial : test.skip

const dir = mkdtempSync(join(tmpdir(), 'tracemalloc-flamegraph-'))
let browser: Browser | undefined
test.before(async () => {
  if (present) browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true })
})
test.after.always(async () => {
  await browser?.close()
  rmSync(dir, { recursive: true, force: true })
})

type F = [string, number, number, string]
const MAIN: F = ['/app/app.js', 1, 1, 'main']
const HANDLE: F = ['/app/server.js', 64, 20, 'handle']
const SET: F = ['/app/cache.js', 41, 9, 'set']
const LOG: F = ['/app/log.js', 3, 14, 'log']
const FORMAT: F = ['/app/log.js', 7, 30, 'format']
const OLD: F = ['/app/old.js', 5, 3, 'legacyCache']
const FRESH: F = ['/app/fresh.js', 9, 2, 'newFeature']
const ESCAPED: F = ['/app/<b>x</b>.js', 2, 2, '<img src=x onerror=alert(1)>']

const label = (f: F) => `${f[3]} (${f[0]}:${f[1]}:${f[2]})`

/** Loads `file` in a fresh page, recording every request, page error and console error. */
async function open(t: ExecutionContext, file: string): Promise<{ page: Page; problems: string[] }> {
  if (browser === undefined) throw new Error(`${CHROMIUM} is missing (TRACEMALLOC_REQUIRE_BROWSER=1): run .ci/setup/10-chromium.sh`)
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } })
  t.teardown(() => context.close())
  const url = pathToFileURL(file).href
  const problems: string[] = []
  await context.route('**/*', (route) => {
    const u = route.request().url()
    if (u === url) return route.continue()
    problems.push(`request: ${u}`)
    return route.abort()
  })
  const page = await context.newPage()
  page.on('request', (r) => {
    if (r.url() !== url) problems.push(`request: ${r.url()}`)
  })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`)
  })
  await page.goto(url)
  await page.locator('#chart .frame').first().waitFor()
  return { page, problems }
}

const frame = (page: Page, text: string): Locator => page.locator(`#chart .frame[aria-label="${text.replaceAll('"', '\\"')}"]`)

async function box(l: Locator): Promise<{ x: number; width: number }> {
  const b = await l.boundingBox()
  if (b === null) throw new Error('not visible')
  return b
}

browserTest('the flame graph renders its frames, hovers, searches, and zooms on click, offline', async (t) => {
  const traces: RawTrace[] = [
    [0, 8192, [SET, HANDLE, MAIN], 3],
    [0, 2048, [FORMAT, LOG, MAIN], 3],
    [1, 512, [HANDLE, MAIN], 2],
    [0, 1024, [ESCAPED], 1],
  ]
  const file = join(dir, 'plain.html')
  new Snapshot(traces, 5).export(file, 'flamegraph', { title: 'checkout service' })
  const { page, problems } = await open(t, file)

  t.is(await page.title(), 'checkout service')
  t.is(await page.locator('h1').textContent(), 'checkout service')
  const chart = await box(page.locator('#chart'))
  const all = frame(page, 'all')
  t.is(Math.round((await box(all)).width), Math.round(chart.width))
  for (const f of [MAIN, HANDLE, SET, LOG, FORMAT]) {
    await t.notThrowsAsync(frame(page, label(f)).waitFor(), label(f))
    t.is(await frame(page, label(f)).count(), 1, label(f))
  }
  t.is(await frame(page, label(SET)).textContent(), label(SET))
  // Widths follow sizes: set holds 8192 of 11776 bytes.
  const total = 8192 + 2048 + 512 + 1024
  t.true(Math.abs((await box(frame(page, label(SET)))).width - (chart.width * 8192) / total) <= 1.5)
  t.true(Math.abs((await box(frame(page, label(MAIN)))).width - (chart.width * 10752) / total) <= 1.5)
  // Names are text, never markup.
  t.is(await page.locator('#chart img').count(), 0)
  t.is(await frame(page, label(ESCAPED)).count(), 1)

  // Hover details.
  await frame(page, label(SET)).hover()
  const tip = page.locator('#tooltip')
  await tip.waitFor({ state: 'visible' })
  const text = (await tip.innerText()).replace(/\s+/g, ' ')
  t.true(text.includes(label(SET)), text)
  t.true(text.includes('function: set'), text)
  t.true(text.includes('location: /app/cache.js:41:9'), text)
  t.true(text.includes('size: 8.0 KiB (8,192 B), 69.57% of all'), text)
  t.true(text.includes('objects: 1, 25.00% of all'), text)

  // Search: 'log' matches log and format (both in log.js); nested matches count once.
  await page.locator('#search').fill('log.js')
  t.is(await page.locator('#chart .frame.match').count(), 2)
  t.is(await page.locator('#matches').textContent(), '2 frames, 2.0 KiB (17.39%)')
  await page.locator('#search').fill('')
  t.is(await page.locator('#chart .frame.match').count(), 0)

  // Click to zoom: the clicked frame spans the full width; siblings leave.
  await frame(page, label(SET)).click()
  const zoomed = await box(frame(page, label(SET)))
  t.true(Math.abs(zoomed.width - chart.width) <= 1, `${zoomed.width} vs ${chart.width}`)
  t.true(Math.abs(zoomed.x - chart.x) <= 1)
  t.is(await frame(page, label(LOG)).count(), 0)
  t.true(Math.abs((await box(frame(page, label(HANDLE)))).width - chart.width) <= 1, 'ancestors span the width too')
  t.false(await page.locator('#reset').isDisabled())
  // Zoom out with Escape, then zoom into main with a click.
  await page.keyboard.press('Escape')
  t.true(Math.abs((await box(frame(page, label(SET)))).width - (chart.width * 8192) / total) <= 1.5)
  await frame(page, label(MAIN)).click()
  t.true(Math.abs((await box(frame(page, label(MAIN)))).width - chart.width) <= 1)
  t.true(Math.abs((await box(frame(page, label(SET)))).width - (chart.width * 8192) / 10752) <= 1.5)
  await page.locator('#reset').click()
  t.true(await page.locator('#reset').isDisabled())

  t.deepEqual(problems, [], 'no request, page error or console error')
})

function rgb(css: string): [number, number, number] {
  const m = /rgba?\((\d+), (\d+), (\d+)/.exec(css)
  if (!m) throw new Error(`not a colour: ${css}`)
  return [Number(m[1]), Number(m[2]), Number(m[3])]
}

browserTest('the differential flame graph colours growth and shrinkage and keeps frames found only in the base', async (t) => {
  const base = new Snapshot(
    [
      [0, 4096, [SET, HANDLE, MAIN], 3],
      [0, 2048, [FORMAT, LOG, MAIN], 3],
      [0, 3000, [OLD, MAIN], 2],
    ],
    5,
  )
  const now = new Snapshot(
    [
      [0, 8192, [SET, HANDLE, MAIN], 3],
      [0, 1024, [FORMAT, LOG, MAIN], 3],
      [0, 500, [FRESH, MAIN], 2],
    ],
    5,
  )
  const file = join(dir, 'diff.html')
  now.export(file, 'flamegraph', { base })
  const { page, problems } = await open(t, file)
  t.is(await page.title(), 'tracemalloc differential flame graph')
  t.false(await page.locator('#legend').isHidden())
  const chart = await box(page.locator('#chart'))

  for (const f of [MAIN, HANDLE, SET, LOG, FORMAT, OLD, FRESH]) t.is(await frame(page, label(f)).count(), 1, label(f))
  // Width = new size, plus the base size of frames that vanished (hatched).
  const width = 8192 + 1024 + 500 + 3000
  t.true(Math.abs((await box(frame(page, label(SET)))).width - (chart.width * 8192) / width) <= 1.5)
  t.true(Math.abs((await box(frame(page, label(OLD)))).width - (chart.width * 3000) / width) <= 1.5)
  t.true(await frame(page, label(OLD)).evaluate((el) => el.classList.contains('gone')))

  type Window = { getComputedStyle(el: unknown): { backgroundColor: string } }
  const colour = (f: F) => frame(page, label(f)).evaluate((el) => (globalThis as unknown as Window).getComputedStyle(el).backgroundColor)
  const [r1, , b1] = rgb(await colour(SET))
  t.true(r1 > b1 + 40, `growth is red: ${await colour(SET)}`)
  const [r2, , b2] = rgb(await colour(FORMAT))
  t.true(b2 > r2 + 20, `shrinkage is blue: ${await colour(FORMAT)}`)
  const [r3, , b3] = rgb(await colour(FRESH))
  t.true(r3 > b3, `a new frame grew: ${await colour(FRESH)}`)

  await frame(page, label(SET)).hover()
  const tip = (await page.locator('#tooltip').innerText()).replace(/\s+/g, ' ')
  t.true(tip.includes('size: 8.0 KiB (8,192 B)'), tip)
  t.true(tip.includes('base size: 4.0 KiB (4,096 B)'), tip)
  t.true(tip.includes('diff: +4.0 KiB (+100.00%)'), tip)
  await frame(page, label(OLD)).hover()
  const gone = (await page.locator('#tooltip').innerText()).replace(/\s+/g, ' ')
  t.true(gone.includes('size: 0 B (0 B)') && gone.includes('base size: 2.9 KiB (3,000 B)') && gone.includes('diff: -2.9 KiB (-100.00%)'), gone)
  t.true(gone.includes('only in the base snapshot'), gone)
  t.regex(await page.locator('#summary').innerText(), /new 9\.5 KiB in 3 objects, base 8\.9 KiB in 3 objects: \+572 B/)

  await frame(page, label(FORMAT)).click()
  const zoomed = await box(frame(page, label(FORMAT)))
  t.true(Math.abs(zoomed.width - chart.width) <= 1, `${zoomed.width} vs ${chart.width}`)
  await frame(page, label(OLD)).count().then((n) => t.is(n, 0))
  t.deepEqual(problems, [], 'no request, page error or console error')
})

browserTest('a flame graph of 300,000 traces stays small and renders', async (t) => {
  // 20,000 tracebacks over 5,000 functions, skewed like a real heap.
  let seed = 3
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
  const strings = Array.from({ length: 200 }, (_, i) => `/srv/app/src/module${i}.js`)
  for (let i = 0; i < 5000; i++) strings.push(`fn${i}`)
  const frames = new Uint32Array(5000 * 4)
  for (let i = 0; i < 5000; i++) frames.set([i % 200, 1 + i, 1, 200 + i], 4 * i)
  const seqFrames: number[] = []
  const seqEnds = new Uint32Array(20_000)
  const tracebacks = new Uint32Array(40_000)
  for (let s = 0; s < 20_000; s++) {
    const depth = 2 + Math.floor(rnd() * 8)
    for (let d = 0; d < depth; d++) seqFrames.push(d === depth - 1 ? s % 7 : Math.floor(5000 * rnd() ** 2))
    seqEnds[s] = seqFrames.length
    tracebacks.set([s, depth], 2 * s)
  }
  const n = 300_000
  const snap = Snapshot.fromColumns(
    {
      strings,
      frames,
      seqEnds,
      seqFrames: Uint32Array.from(seqFrames),
      tracebacks,
      domain: new Uint32Array(n),
      size: Float64Array.from({ length: n }, () => 16 * (1 + Math.floor(64 * rnd() ** 3))),
      traceback: Uint32Array.from({ length: n }, () => Math.floor(20_000 * rnd() ** 3)),
    },
    10,
  )
  const file = join(dir, 'big.html')
  const bytes = snap.export(file, 'flamegraph')
  t.log(`${n} traces: ${(bytes / 1024).toFixed(0)} KiB of HTML`)
  t.true(bytes < 2 << 20, `${bytes} bytes`)
  const { page, problems } = await open(t, file)
  const frames0 = await page.locator('#chart .frame').count()
  t.true(frames0 > 20, `${frames0} frames drawn`)
  // Zoom into the widest frame under the root.
  const first = page.locator('#chart .frame[data-node="1"]')
  await first.click()
  t.true(Math.abs((await box(first)).width - (await box(page.locator('#chart'))).width) <= 1)
  t.deepEqual(problems, [])
})
