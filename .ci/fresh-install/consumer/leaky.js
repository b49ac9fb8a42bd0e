// The script `tracemalloc run` traces in the fresh-install test: it keeps
// about 40 MB alive in one named function, so a sampled capture must see it.
'use strict'
const kept = []
function hoardArrays() {
  for (let i = 0; i < 40; i++) kept.push(new Array(125000).fill(i))
}
hoardArrays()
module.exports = { kept }
