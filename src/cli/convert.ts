/**
 * `tracemalloc convert IN OUT --to FORMAT`: a snapshot file in another
 * format: any export format of `snapshot.export()`, or `tracemalloc` (the
 * native format, `snapshot.dump()`), for instance to shrink a
 * `.heapsnapshot` into a small file that loads fast.
 * @module
 */
import { statSync } from 'node:fs'
import { extname } from 'node:path'

import { EXPORT_FORMATS } from '../files/export'
import type { ExportFormat } from '../files/export'
import { COMMON_USAGE, expectPositionals, printJson, stringOption, type Verb } from './command'
import { aboutFile, InputError, UsageError } from './errors'
import { loadInput } from './input'

/** Every format `convert` writes. */
export const CONVERT_FORMATS: readonly string[] = ['tracemalloc', ...EXPORT_FORMATS]

/** Formats guessed from the output's extension when `--to` is absent. */
const BY_EXTENSION: Record<string, string> = {
  '.tmsnap': 'tracemalloc',
  '.pprof': 'pprof',
  '.pb': 'pprof',
  '.gz': 'pprof',
  '.heapprofile': 'heapprofile',
  '.collapsed': 'collapsed',
  '.folded': 'collapsed',
  '.csv': 'csv',
  '.jsonl': 'jsonl',
  '.html': 'flamegraph',
}

/** The `convert` verb. */
export const convert: Verb = {
  name: 'convert',
  summary: 'write a snapshot file in another format',
  usage: `Usage: tracemalloc convert [options] IN OUT --to FORMAT

Reads IN (a tracemalloc snapshot, a V8 .heapprofile or a V8 .heapsnapshot)
and writes it to OUT, atomically, in FORMAT: ${CONVERT_FORMATS.join(', ')}
(docs/exporters.md describes each; tracemalloc is the native format).
Without --to, the format follows OUT's extension (.tmsnap, .pb.gz, .heapprofile,
.collapsed, .csv, .jsonl, .html).

Options:
  --to FORMAT       the output format
  --title TEXT      a title (flame graph, speedscope, pprof comment, JSON)
${COMMON_USAGE}
`,
  options: { to: { type: 'string' }, title: { type: 'string' } },
  async run(values, positionals) {
    const [input, output] = expectPositionals(positionals, ['IN', 'OUT'])
    const format = stringOption(values, 'to') ?? BY_EXTENSION[extname(output!).toLowerCase()]
    if (format === undefined) {
      throw new UsageError(`--to FORMAT is needed (the extension of ${output} does not say); one of ${CONVERT_FORMATS.join(', ')}`)
    }
    if (!CONVERT_FORMATS.includes(format)) {
      throw new UsageError(`--to must be one of ${CONVERT_FORMATS.join(', ')}, got ${JSON.stringify(format)}`)
    }
    const title = stringOption(values, 'title')
    const { snapshot, kind } = await loadInput(input!)
    let bytes: number
    try {
      if (format === 'tracemalloc') {
        await snapshot.dumpAsync(output!)
        bytes = statSync(output!).size
      } else {
        bytes = await snapshot.exportAsync(output!, format as ExportFormat, title === undefined ? {} : { title })
      }
    } catch (e) {
      throw new InputError(aboutFile(output!, `cannot write: ${(e as Error).message}`))
    }
    if (values.json === true) printJson({ input, kind, output, format, bytes })
    else process.stdout.write(`tracemalloc: wrote ${output} (${format}, ${bytes} bytes) from ${input} (${kind})\n`)
    return 0
  },
}
