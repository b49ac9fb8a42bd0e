/**
 * `tracemalloc flamegraph FILE [--diff BASE] -o OUT.html`: a self-contained
 * HTML flame graph of a snapshot file; with `--diff`, a differential one
 * (widths by FILE, colours by growth since BASE).
 * @module
 */
import { COMMON_USAGE, expectPositionals, printJson, stringOption, type Verb } from './command'
import { aboutFile, InputError, UsageError } from './errors'
import { loadInput } from './input'

/** The `flamegraph` verb. */
export const flamegraph: Verb = {
  name: 'flamegraph',
  summary: 'self-contained HTML flame graph, differential with --diff',
  usage: `Usage: tracemalloc flamegraph [options] FILE -o OUT.html

Writes a flame graph of FILE (a tracemalloc snapshot, a V8 .heapprofile or
a V8 .heapsnapshot) to OUT.html: one file, no network access needed.
With --diff BASE, a differential flame graph: widths by FILE, colours by
how much each frame grew or shrank since BASE.

Options:
  -o, --output FILE  the HTML file to write (required)
  --diff BASE        the older snapshot file to compare with
  --title TEXT       the page's title
  --min-fraction F   frames narrower than this fraction of the whole merge
                     into one "other" frame (default 0.0001; 0 keeps all)
${COMMON_USAGE}
`,
  options: {
    output: { type: 'string', short: 'o' },
    diff: { type: 'string' },
    title: { type: 'string' },
    'min-fraction': { type: 'string' },
  },
  async run(values, positionals) {
    const [file] = expectPositionals(positionals, ['FILE'])
    const output = stringOption(values, 'output')
    if (output === undefined) throw new UsageError('-o OUT.html is required')
    const mf = stringOption(values, 'min-fraction')
    const minFraction = mf === undefined ? undefined : Number(mf)
    if (minFraction !== undefined && !(mf!.trim() !== '' && minFraction >= 0 && minFraction <= 1)) {
      throw new UsageError(`--min-fraction must be a number in [0, 1], got ${JSON.stringify(mf)}`)
    }
    const title = stringOption(values, 'title')
    const baseFile = stringOption(values, 'diff')
    const { snapshot, kind } = await loadInput(file!)
    const base = baseFile === undefined ? undefined : (await loadInput(baseFile)).snapshot
    let bytes: number
    try {
      bytes = await snapshot.exportAsync(output, 'flamegraph', {
        ...(base === undefined ? {} : { base }),
        ...(title === undefined ? {} : { title }),
        ...(minFraction === undefined ? {} : { minFraction }),
      })
    } catch (e) {
      throw new InputError(aboutFile(output, `cannot write: ${(e as Error).message}`))
    }
    if (values.json === true) printJson({ file, kind, base: baseFile ?? null, output, bytes })
    else process.stdout.write(`tracemalloc: wrote ${output} (${bytes} bytes)${baseFile === undefined ? '' : `, ${file} against ${baseFile}`}\n`)
    return 0
  },
}
