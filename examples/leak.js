// A small "server" that leaks: every request caches its rendered page in a
// Map that is never trimmed, while the rest of the work is short-lived.
// The cache is module state (reachable from require.cache), as in a real
// app, so it is still alive when the traced process ends.
// Run it traced with:  npm run example
'use strict'

const cache = new Map()
module.exports = { cache }

function parseRequest(i) {
  return { id: i, path: `/users/${i % 5000}`, headers: { accept: 'text/html', 'x-request-id': `req-${i}` } }
}

function renderPage(req) {
  const rows = []
  for (let r = 0; r < 20; r++) rows.push(`<tr><td>${req.path}</td><td>${r}</td></tr>`)
  return `<html><body><table>${rows.join('')}</table></body></html>`
}

function cachePage(req, html) {
  // The leak: keyed by request id, so nothing is ever reused or evicted.
  cache.set(req.id, { html, at: Date.now(), headers: { ...req.headers } })
}

function handle(i) {
  const req = parseRequest(i)
  const html = renderPage(req)
  cachePage(req, html)
  return html.length
}

// Serve in batches, yielding to the event loop between them like a server.
const REQUESTS = 60000
let bytes = 0
let served = 0
function batch() {
  for (let n = 0; n < 1000 && served < REQUESTS; n++) bytes += handle(served++)
  if (served < REQUESTS) setImmediate(batch)
  else console.log(`served ${served} requests, ${(bytes / 1048576).toFixed(1)} MiB of HTML, ${cache.size} pages cached`)
}
batch()
