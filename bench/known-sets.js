// Retained sets whose bytes and counts are known by hand, shared by the
// accuracy bench (bench/capture-accuracy.js) and the live accuracy test
// (__test__/fixtures/live/size-accuracy.js).
//
// Object layouts on 64-bit V8 without pointer compression (Node's default):
// a HeapNumber is a map and a double, 16 bytes; a sequential one-byte string
// of n characters is 16 bytes of header (map, hash, length) plus n bytes,
// rounded up to 8; `new Array(k)` is a 32-byte JSArray and a 16 + 8k byte
// FixedArray.
'use strict'

/** One set per object size, 16 B to 1 MiB: `size` is each object's true size in bytes. */
const SETS = [
  { kind: 'number', size: 16 },
  ...[24, 32, 48, 64, 128, 256, 1024, 4096, 16384, 41000, 65536, 262144, 1031920].map((size) => ({ kind: 'string', size })),
  { kind: 'array', size: 32 + 16 + 8 * 131070 },
]

const latin1 = Buffer.alloc(1 << 20, 'a')

function makeNumbers(holder, n) {
  for (let i = 0; i < n; i++) holder[i] = i + 0.5
}
function makeStrings(holder, n, length) {
  for (let i = 0; i < n; i++) holder[i] = latin1.latin1Slice(0, length)
}
function makeArrays(holder, n) {
  for (let i = 0; i < n; i++) holder[i] = new Array(131070)
}

/**
 * The allocating function of each kind: `MAKERS[kind](holder, n, size - 16)`
 * stores `n` objects of `size` bytes into `holder`; its name is the frame
 * the samples are charged to.
 */
const MAKERS = { number: makeNumbers, string: makeStrings, array: makeArrays }

module.exports = { SETS, MAKERS }
