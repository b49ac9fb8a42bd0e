// Links dist/ to the generated Node-API binding at the package root.
//
// Hand-written code reaches the binding only through src/native.ts, which
// imports it by the relative path '../binding': from src/ that is the
// generated binding.js / binding.d.ts at the root (what `napi build` writes,
// next to the .node it loads in a dev checkout). Compiled into dist/src/, the
// same path means dist/binding, so this writes two one-line forwarders there,
// back to the root files. The published typings then name only relative
// paths, which every moduleResolution (node10 included) follows, and the
// generated loader stays where napi-rs puts it. Run after tsc (npm run build:ts).
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const header = '// Written by scripts/dist-binding.mjs: forwards to the generated binding at the package root.\n'
mkdirSync(dist, { recursive: true })
writeFileSync(join(dist, 'binding.js'), `${header}'use strict'\nmodule.exports = require('../binding.js')\n`)
writeFileSync(join(dist, 'binding.d.ts'), `${header}export * from '../binding'\n`)
