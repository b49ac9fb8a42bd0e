#!/usr/bin/env node
// Fresh-install test (issue 9): what an npm user without a Rust toolchain gets.
//
//  1. `npm pack` the package as it is published, and check the tarball: the
//     files it must carry, none it must not (no *.node, tests, fixtures,
//     sources, target dirs), and a sane size.
//  2. Run the publish-time step, `napi prepublish` (without publishing), on the
//     unpacked tarball: it writes optionalDependencies on every platform
//     package; check they agree with napi's config, npm/<platform>/package.json
//     and the generated loader.
//  3. Pack the linux-x64-gnu platform package from npm/linux-x64-gnu and the
//     binary built here.
//  4. Install both tarballs into a new project in a temp dir, offline, with no
//     cargo/rustc on PATH and nothing of the repo's node_modules reachable.
//  5. From there: `npx tracemalloc --help` and `npx tracemalloc run`, a CJS and
//     an ESM consumer (live capture, snapshot statistics), and the typings
//     compiled under each common module/moduleResolution setting without
//     skipLibCheck.
//
// Needs a built repo (`npm run build`). Prints each step with its time; exits
// non-zero on the first failure. FRESH_INSTALL_KEEP=1 keeps the temp dir.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '../..')
const repoRequire = createRequire(join(repo, 'package.json'))
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'))
const HOST = 'linux-x64-gnu'

/** Size limits for the root tarball: it holds JS, typings and the loader only. */
const MAX_PACKED = 1024 * 1024
const MAX_UNPACKED = 4 * 1024 * 1024

const started = Date.now()
let stepStarted = 0
function step(name) {
  const now = Date.now()
  if (stepStarted) console.log(`   (${((now - stepStarted) / 1000).toFixed(1)} s)`)
  stepStarted = now
  console.log(`-- ${name}`)
}

/** Runs a command; throws with its output when it fails (unless `allowFail`). */
function sh(cmd, args, { cwd, env = process.env, allowFail = false } = {}) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (r.error) throw r.error
  if (r.status !== 0 && !allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`)
  }
  return r
}

function npmPack(dir, dest) {
  const r = sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dest], { cwd: dir })
  const [info] = JSON.parse(r.stdout)
  return { ...info, path: join(dest, info.filename) }
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log(`fresh-install: skipped, it installs the ${HOST} package (this is ${process.platform}-${process.arch})`)
  process.exit(0)
}
for (const f of ['dist/index.js', 'binding.js', `${pkg.napi.binaryName}.${HOST}.node`]) {
  assert.ok(existsSync(join(repo, f)), `${f} is missing: run \`npm run build\` first`)
}

const work = mkdtempSync(join(tmpdir(), 'tracemalloc-fresh-'))
try {
  const packs = join(work, 'packs')
  mkdirSync(packs)

  step('npm pack (root package) and check its contents')
  const root = npmPack(repo, packs)
  const files = root.files.map((f) => f.path)
  const required = ['package.json', 'README.md', 'binding.js', 'binding.d.ts', 'dist/binding.js', 'dist/binding.d.ts', pkg.main, pkg.types, pkg.bin.tracemalloc]
  for (const target of Object.values(pkg.exports)) {
    for (const t of typeof target === 'string' ? [target] : Object.values(target)) required.push(t.replace(/^\.\//, ''))
  }
  for (const paths of Object.values(pkg.typesVersions?.['*'] ?? {})) {
    for (const t of paths) required.push(t.replace(/^\.\//, ''))
  }
  for (const f of required) assert.ok(files.includes(f), `the tarball lacks ${f}`)
  const forbidden = [
    [/\.node$/, 'a native binary (binaries ship only in the platform packages)'],
    [/^(__test__|crates|target|npm|bench|examples|src|\.ci|\.github|docs)\//, 'a source, test or build directory'],
    [/(^|\/)(fixtures?|node_modules|target)\//, 'fixtures, node_modules or a target dir'],
    [/\.(ts|rs|tmsnap|heapsnapshot|heapprofile|cpuprofile|tgz)$/, 'a source or data file'],
  ]
  for (const f of files) {
    if (f.endsWith('.d.ts')) continue
    for (const [re, what] of forbidden) assert.ok(!re.test(f), `the tarball carries ${f}: ${what}`)
  }
  assert.ok(root.size <= MAX_PACKED, `root tarball is ${root.size} bytes (limit ${MAX_PACKED})`)
  assert.ok(root.unpackedSize <= MAX_UNPACKED, `root package unpacks to ${root.unpackedSize} bytes (limit ${MAX_UNPACKED})`)
  console.log(`   ${root.filename}: ${files.length} files, ${root.size} bytes packed, ${root.unpackedSize} unpacked`)

  step('publish-time wiring: `napi prepublish` writes optionalDependencies')
  const { readNapiConfig } = await import(repoRequire.resolve('@napi-rs/cli'))
  const napi = await readNapiConfig(join(repo, 'package.json'))
  const loader = readFileSync(join(repo, 'binding.js'), 'utf8')
  const expected = {}
  for (const target of napi.targets) {
    const name = `${napi.packageName}-${target.platformArchABI}`
    expected[name] = pkg.version
    const dirPkg = JSON.parse(readFileSync(join(repo, 'npm', target.platformArchABI, 'package.json'), 'utf8'))
    const binary = `${napi.binaryName}.${target.platformArchABI}.node`
    assert.equal(dirPkg.name, name, `npm/${target.platformArchABI}: name`)
    assert.equal(dirPkg.version, pkg.version, `npm/${target.platformArchABI}: version`)
    assert.equal(dirPkg.main, binary, `npm/${target.platformArchABI}: main`)
    assert.deepEqual(dirPkg.files, [binary], `npm/${target.platformArchABI}: files`)
    assert.deepEqual(dirPkg.os, [target.platform], `npm/${target.platformArchABI}: os`)
    assert.deepEqual(dirPkg.cpu, [target.arch], `npm/${target.platformArchABI}: cpu`)
    assert.deepEqual(dirPkg.engines, pkg.engines, `npm/${target.platformArchABI}: engines`)
    assert.ok(loader.includes(`require('${name}')`), `binding.js does not load ${name}: regenerate it with napi build`)
  }
  assert.equal(readdirSync(join(repo, 'npm')).length, napi.targets.length, 'npm/ has a directory per napi target and no other')
  assert.equal(pkg.optionalDependencies, undefined, 'optionalDependencies are written at publish time, not kept in package.json')
  // The release's own step, on the unpacked tarball: `napi prepublish` (the
  // prepublishOnly script) checks every npm/<platform> has its binary, then
  // writes optionalDependencies. Binaries not built here are placeholders; it
  // publishes nothing (--skip-optional-publish).
  const staged = join(work, 'stage-root')
  mkdirSync(staged)
  sh('tar', ['-xzf', root.path, '-C', staged])
  const stagedRoot = join(staged, 'package')
  cpSync(join(repo, 'npm'), join(stagedRoot, 'npm'), { recursive: true })
  for (const target of napi.targets) {
    const binary = `${napi.binaryName}.${target.platformArchABI}.node`
    writeFileSync(join(stagedRoot, 'npm', target.platformArchABI, binary), 'placeholder')
  }
  const napiPkg = repoRequire.resolve('@napi-rs/cli/package.json')
  const napiBin = join(dirname(napiPkg), JSON.parse(readFileSync(napiPkg, 'utf8')).bin.napi)
  sh(process.execPath, [napiBin, 'prepublish', '-t', 'npm', '--no-gh-release', '--skip-optional-publish'], { cwd: stagedRoot })
  const optional = JSON.parse(readFileSync(join(stagedRoot, 'package.json'), 'utf8')).optionalDependencies
  assert.deepEqual(optional, expected, 'napi prepublish wrote other optionalDependencies')
  rmSync(join(stagedRoot, 'npm'), { recursive: true })
  rmSync(root.path)
  const published = npmPack(stagedRoot, packs)
  assert.deepEqual(published.files.map((f) => f.path).sort(), [...files].sort(), 'repacking changed the file list')
  console.log(`   ${Object.keys(optional).length} platform packages: ${Object.keys(optional).join(', ')}`)

  step(`npm pack (platform package ${HOST})`)
  const stagePlatform = join(work, `stage-${HOST}`)
  cpSync(join(repo, 'npm', HOST), stagePlatform, { recursive: true })
  const binary = `${pkg.napi.binaryName}.${HOST}.node`
  cpSync(join(repo, binary), join(stagePlatform, binary))
  const platform = npmPack(stagePlatform, packs)
  assert.deepEqual(platform.files.map((f) => f.path).sort(), ['README.md', binary, 'package.json'].sort())
  console.log(`   ${platform.filename}: ${platform.size} bytes packed, ${platform.unpackedSize} unpacked`)

  step('install both into a new project: offline, no Rust toolchain on PATH')
  const app = join(work, 'app')
  cpSync(join(here, 'consumer'), app, { recursive: true })
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true }, null, 2))
  // Only node's own directory and the system's: no ~/.cargo/bin, no repo node_modules/.bin.
  const nodeDir = dirname(process.execPath)
  const PATH = [...new Set([nodeDir, '/usr/local/bin', '/usr/bin', '/bin'])].join(delimiter)
  const env = { HOME: process.env.HOME, PATH, TMPDIR: process.env.TMPDIR ?? tmpdir(), LANG: 'C.UTF-8' }
  for (const tool of ['cargo', 'rustc', 'rustup']) {
    assert.notEqual(sh('sh', ['-c', `command -v ${tool}`], { env, allowFail: true }).status, 0, `${tool} is on the consumer's PATH`)
  }
  // The typings test needs a compiler and Node's types: the same versions as the repo, from npm's cache.
  const tsVersion = JSON.parse(readFileSync(repoRequire.resolve('typescript/package.json'), 'utf8')).version
  const typesNodeVersion = JSON.parse(readFileSync(repoRequire.resolve('@types/node/package.json'), 'utf8')).version
  // ava too: the typings of tracemalloc/testing/ava use ava's own (a project importing that entry point has ava).
  const avaVersion = JSON.parse(readFileSync(join(repo, 'node_modules', 'ava', 'package.json'), 'utf8')).version
  sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '-D', `typescript@${tsVersion}`, `@types/node@${typesNodeVersion}`, `ava@${avaVersion}`], { cwd: app, env })
  sh('npm', ['install', '--offline', '--no-audit', '--no-fund', published.path, platform.path], { cwd: app, env })
  const installed = join(app, 'node_modules', 'tracemalloc')
  assert.ok(!readdirSync(installed).some((f) => f.endsWith('.node')), 'a .node file landed in node_modules/tracemalloc')
  const tree = JSON.parse(sh('npm', ['ls', '--all', '--json'], { cwd: app, env, allowFail: true }).stdout)
  const platformDep = tree.dependencies?.tracemalloc?.dependencies?.[`tracemalloc-${HOST}`]
  assert.ok(platformDep, `npm ls: tracemalloc does not reach tracemalloc-${HOST} through optionalDependencies`)
  assert.equal(platformDep.version, pkg.version)

  step('CLI: npx tracemalloc --help')
  const help = sh('npx', ['--no-install', 'tracemalloc', '--help'], { cwd: app, env })
  const commands = [...help.stdout.matchAll(/^ {2}(\w+) {2,}/gm)].map((m) => m[1])
  console.log(`   commands listed: ${commands.join(', ')}`)
  for (const c of ['run', 'top', 'compare', 'convert', 'flamegraph', 'info']) assert.ok(commands.includes(c), `--help lists ${c}`)

  step('CLI: npx tracemalloc run -o leaky.tmsnap -- leaky.js')
  const run = sh('npx', ['--no-install', 'tracemalloc', 'run', '--nframe', '3', '--top', '5', '--key-type', 'function', '-o', 'leaky.tmsnap', '--', 'leaky.js'], { cwd: app, env })
  assert.match(run.stderr, /leaky\.js/, `the report names the traced script:\n${run.stderr}`)
  assert.match(run.stderr, /hoardArrays/, `the report names the allocating function:\n${run.stderr}`)

  step('CLI: npx tracemalloc top leaky.tmsnap --json')
  const top = JSON.parse(sh('npx', ['--no-install', 'tracemalloc', 'top', '--key-type', 'function', '--json', 'leaky.tmsnap'], { cwd: app, env }).stdout)
  assert.ok(JSON.stringify(top).includes('hoardArrays'), `top's JSON names the allocating function: ${JSON.stringify(top).slice(0, 500)}`)

  const nodeModules = join(app, 'node_modules')
  const fromPlatformPackage = (p) => p.startsWith(join(nodeModules, `tracemalloc-${HOST}`) + '/')

  step('API from CommonJS: live capture and statistics')
  const cjs = JSON.parse(sh(process.execPath, ['api.cjs'], { cwd: app, env }).stdout)
  assert.equal(cjs.resolved, join(installed, pkg.main))
  assert.ok(cjs.loaded.length === 1 && fromPlatformPackage(cjs.loaded[0]), `the binary came from ${cjs.loaded}`)
  assert.equal(cjs.tracing, false)
  assert.ok(cjs.current > 4e6 && cjs.peak >= cjs.current, `traced memory ${cjs.current}/${cjs.peak}`)
  assert.equal(cjs.top.fn, 'hoardFromCjs')
  assert.equal(cjs.top.file, join(app, 'api.cjs'))
  assert.ok(cjs.top.size > 4e6, `top size ${cjs.top.size}`)

  step('API from an ES module: live capture and statistics')
  const esm = JSON.parse(sh(process.execPath, ['api.mjs'], { cwd: app, env }).stdout)
  assert.equal(esm.resolved, join(installed, pkg.main))
  assert.equal(esm.sameModule, true, 'default and named imports are the same module')
  assert.ok(esm.current > 4e6 && esm.peak >= esm.current, `traced memory ${esm.current}/${esm.peak}`)
  assert.equal(esm.top.fn, 'hoardFromEsm')
  assert.equal(esm.top.file, join(app, 'api.mjs'))
  assert.deepEqual(esm.plain, [['b.js', 30, 1], ['a.js', 10, 1]])

  step('without its platform package (npm --omit=optional): a clear error, not a crash')
  const bare = join(work, 'bare')
  mkdirSync(bare)
  writeFileSync(join(bare, 'package.json'), JSON.stringify({ name: 'bare-app', version: '1.0.0', private: true }))
  sh('npm', ['install', '--offline', '--no-audit', '--no-fund', '--omit=optional', published.path], { cwd: bare, env })
  assert.ok(!existsSync(join(bare, 'node_modules', `tracemalloc-${HOST}`)))
  const failed = sh(process.execPath, ['-e', "require('tracemalloc')"], { cwd: bare, env, allowFail: true })
  assert.equal(failed.status, 1)
  assert.equal(failed.signal, null)
  assert.match(failed.stderr, /Cannot find native binding/)
  assert.match(failed.stderr, new RegExp(`tracemalloc-${HOST}`), 'the error names the package it looked for')

  // Every typed subpath export is imported too, so a new entry point must resolve under node10 as well.
  const subpaths = Object.entries(pkg.exports)
    .filter(([k, v]) => k !== '.' && typeof v === 'object' && v.types)
    .map(([k]) => k.slice(2))
  // ES-module-only entry points (tracemalloc/testing/vitest) cannot be required: CommonJS consumers skip them.
  const esmOnly = (s) => String(pkg.exports[`./${s}`].default).endsWith('.mjs')
  const subImports = subpaths
    .map((s, i) => (esmOnly(s) ? '' : `import * as sub${i} from 'tracemalloc/${s}'\nexport { sub${i} }\n`))
    .join('')
  writeFileSync(join(app, 'subpaths.ts'), `// Generated by the fresh-install test.\n${subImports}export {}\n`)
  const esmDir = join(app, 'esm')
  mkdirSync(esmDir)
  writeFileSync(join(esmDir, 'package.json'), JSON.stringify({ type: 'module' }))
  writeFileSync(
    join(esmDir, 'types.ts'),
    "// An ES module consumer: default and named imports.\nimport tracemalloc, { Snapshot } from 'tracemalloc'\n" +
      "export const snapshot: Snapshot = tracemalloc.takeSnapshot()\n" +
      subpaths.map((s, i) => `import * as sub${i} from 'tracemalloc/${s}'\nexport { sub${i} }\n`).join(''),
  )
  // TypeScript 5.9 takes node16/nodenext/bundler resolution only with a matching
  // `module` (TS5110, TS5095), so `module` commonjs goes with node10 alone.
  const settings = [
    ['cjs', 'commonjs', 'node10'],
    ['cjs', 'node16', 'node16'],
    ['cjs', 'nodenext', 'nodenext'],
    ['cjs', 'preserve', 'bundler'],
    ['esm', 'nodenext', 'nodenext'],
  ]
  const tsc = join(nodeModules, 'typescript', 'bin', 'tsc')
  for (const [kind, module, moduleResolution] of settings) {
    step(`typings: ${kind} consumer, module ${module}, moduleResolution ${moduleResolution}, no skipLibCheck`)
    const name = `tsconfig.${kind}-${module}-${moduleResolution}.json`
    const include = kind === 'esm' ? ['esm/types.ts'] : ['types.ts', 'subpaths.ts']
    const compilerOptions = { module, moduleResolution, target: 'ES2022', lib: ['ES2022'], types: ['node'], strict: true, skipLibCheck: false, noEmit: true }
    writeFileSync(join(app, name), JSON.stringify({ compilerOptions, files: include }, null, 2))
    const r = sh(process.execPath, [tsc, '-p', name], { cwd: app, env, allowFail: true })
    assert.equal(r.status, 0, `tsc -p ${name} failed:\n${r.stdout}${r.stderr}`)
  }
  step('done')
  console.log(`fresh-install: all checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`)
} finally {
  if (process.env.FRESH_INSTALL_KEEP) console.log(`kept ${work}`)
  else rmSync(work, { recursive: true, force: true })
}
