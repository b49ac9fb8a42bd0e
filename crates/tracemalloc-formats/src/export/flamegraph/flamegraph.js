// The flame graph renderer of tracemalloc's HTML export. It reads the
// tree that the exporter embedded in #flamegraph-data and draws it with
// absolutely positioned elements, only those wide enough to see at the
// current zoom. No request ever leaves the page.
'use strict'
;(function () {
  const data = JSON.parse(document.getElementById('flamegraph-data').textContent)
  const strings = data.strings
  const frames = data.frames
  const frameOf = data.frame
  const size = data.size
  const count = data.count
  const diff = data.diff === true
  const baseSize = diff ? data.baseSize : null
  const baseCount = diff ? data.baseCount : null
  const width = diff ? data.width : data.size
  const n = frameOf.length
  const ROW = 18
  const MIN_PX = 0.5

  // Layout in value units: parent, depth, start offset and subtree end of
  // every node (pre-order with child counts), without recursion.
  const parent = new Int32Array(n)
  const depth = new Int32Array(n)
  const start = new Float64Array(n)
  const end = new Int32Array(n)
  let maxDepth = 0
  if (n > 0) {
    parent[0] = -1
    const stack = [0]
    const left = [data.children[0]]
    const next = [0]
    for (let i = 1; i < n; i++) {
      while (left[left.length - 1] === 0) {
        end[stack.pop()] = i
        left.pop()
        next.pop()
      }
      const p = stack[stack.length - 1]
      left[left.length - 1]--
      parent[i] = p
      depth[i] = depth[p] + 1
      start[i] = next[next.length - 1]
      next[next.length - 1] += width[i]
      if (depth[i] > maxDepth) maxDepth = depth[i]
      stack.push(i)
      left.push(data.children[i])
      next.push(start[i])
    }
    while (stack.length > 0) end[stack.pop()] = n
  }

  function location(i) {
    const f = frameOf[i]
    let s = strings[frames[4 * f + 1]]
    const line = frames[4 * f + 2]
    const col = frames[4 * f + 3]
    if (line > 0) {
      s += ':' + line
      if (col > 0) s += ':' + col
    }
    return s
  }

  function name(i) {
    if (i === 0) return 'all'
    const f = frameOf[i]
    if (f < 0) return 'other (' + -f + (f === -1 ? ' frame)' : ' frames)')
    const nm = frames[4 * f]
    return nm < 0 ? location(i) : strings[nm]
  }

  function label(i) {
    if (i === 0 || frameOf[i] < 0 || frames[4 * frameOf[i]] < 0) return name(i)
    return name(i) + ' (' + location(i) + ')'
  }

  function formatBytes(v, signed) {
    const sign = v < 0 ? '-' : signed && v > 0 ? '+' : ''
    let a = Math.abs(v)
    if (a < 1024) return sign + a + ' B'
    const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB']
    let u = -1
    while (a >= 1024 && u < units.length - 1) {
      a /= 1024
      u++
    }
    return sign + a.toFixed(1) + ' ' + units[u]
  }

  function formatCount(v, signed) {
    return (signed && v > 0 ? '+' : '') + v.toLocaleString('en-US')
  }

  function percent(part, whole) {
    return whole > 0 ? ((100 * part) / whole).toFixed(2) + '%' : '-'
  }

  // Colours: a warm hue per function name; in a diff, red for growth and
  // blue for shrinkage, deeper for larger changes.
  function hash(s) {
    let h = 2166136261
    for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 16777619)
    return h >>> 0
  }
  let maxChange = 0
  if (diff) {
    for (let i = 1; i < n; i++) maxChange = Math.max(maxChange, Math.abs(size[i] - baseSize[i]))
  }
  function isGone(i) {
    return diff && size[i] === 0 && count[i] === 0 && (baseSize[i] > 0 || baseCount[i] > 0)
  }
  function colour(i) {
    if (diff) {
      const d = size[i] - baseSize[i]
      if (d === 0 || maxChange === 0) return 'hsl(0, 0%, 88%)'
      const t = Math.sqrt(Math.abs(d) / maxChange)
      return 'hsl(' + (d > 0 ? 0 : 218) + ', 85%, ' + (94 - 32 * t).toFixed(1) + '%)'
    }
    if (i === 0) return 'hsl(0, 0%, 80%)'
    const f = frameOf[i]
    const file = strings[frames[4 * f + 1]]
    const h = hash(name(i))
    if (file.startsWith('node:') || file === '<unknown>') {
      return 'hsl(' + (190 + (h % 30)) + ', 45%, ' + (68 + (h >>> 8) % 12) + '%)'
    }
    return 'hsl(' + (h % 50) + ', ' + (70 + (h >>> 8) % 20) + '%, ' + (55 + (h >>> 16) % 15) + '%)'
  }

  const chart = document.getElementById('chart')
  const tooltip = document.getElementById('tooltip')
  const search = document.getElementById('search')
  const matchesOut = document.getElementById('matches')
  const reset = document.getElementById('reset')
  let focus = 0
  let matched = null

  document.getElementById('title').textContent = data.title
  document.title = data.title
  {
    let s = formatBytes(n > 0 ? size[0] : 0) + ' in ' + formatCount(n > 0 ? count[0] : 0) + ' objects'
    if (diff) {
      s =
        'new ' + s + ', base ' + formatBytes(baseSize[0]) + ' in ' + formatCount(baseCount[0]) + ' objects: ' +
        formatBytes(size[0] - baseSize[0], true)
      document.getElementById('legend').hidden = false
    }
    document.getElementById('summary').textContent = s
    let note = 'Click a frame to zoom, Esc or "Reset zoom" to zoom out. Frames under ' +
      +(100 * data.minFraction).toPrecision(3) + '% of the whole are merged into "other". Mode: ' + data.mode + '.'
    if (diff) {
      note += ' Base mode: ' + data.baseMode + '. Widths are new sizes, plus hatched callees found only in the base.'
    }
    document.getElementById('note').textContent = note
  }

  function render() {
    const W = chart.clientWidth
    chart.style.height = (maxDepth + 1) * ROW + 'px'
    const frag = document.createDocumentFragment()
    const span = width[focus]
    const scale = span > 0 ? W / span : 0
    const origin = start[focus]
    for (let a = parent[focus]; a >= 0; a = parent[a]) frag.appendChild(box(a, 0, W, true))
    let i = focus
    while (i < end[focus]) {
      const w = i === focus ? W : width[i] * scale
      if (w < MIN_PX) {
        i = end[i]
        continue
      }
      frag.appendChild(box(i, i === focus ? 0 : (start[i] - origin) * scale, w, false))
      i++
    }
    chart.replaceChildren(frag)
    reset.disabled = focus === 0
  }

  function box(i, x, w, ancestor) {
    const el = document.createElement('div')
    el.className = 'frame'
    if (ancestor) el.classList.add('ancestor')
    if (i > 0 && frameOf[i] < 0) el.classList.add('other')
    else if (isGone(i)) el.classList.add('gone')
    else el.style.background = colour(i)
    if (matched !== null && matched[i] === 1) el.classList.add('match')
    el.style.left = x + 'px'
    el.style.top = depth[i] * ROW + 'px'
    el.style.width = w + 'px'
    el.dataset.node = String(i)
    const text = label(i)
    el.setAttribute('aria-label', text)
    if (w > 24) el.textContent = text
    return el
  }

  function zoom(i) {
    focus = i
    hideTooltip()
    render()
  }

  function describe(i) {
    const lines = []
    const root = size[0]
    const zoomed = size[focus]
    if (i > 0 && frameOf[i] >= 0) {
      const nm = frames[4 * frameOf[i]]
      lines.push('function: ' + (nm < 0 ? '(none)' : strings[nm]))
      lines.push('location: ' + location(i))
    } else if (i > 0) {
      lines.push('frames below ' + +(100 * data.minFraction).toPrecision(3) + '% of the whole, merged')
    }
    lines.push(
      'size: ' + formatBytes(size[i]) + ' (' + size[i].toLocaleString('en-US') + ' B), ' +
        percent(size[i], root) + ' of all' + (focus > 0 ? ', ' + percent(size[i], zoomed) + ' of the zoomed frame' : ''),
    )
    lines.push('objects: ' + formatCount(count[i]) + ', ' + percent(count[i], count[0]) + ' of all')
    if (diff) {
      const d = size[i] - baseSize[i]
      lines.push('base size: ' + formatBytes(baseSize[i]) + ' (' + baseSize[i].toLocaleString('en-US') + ' B)')
      lines.push(
        'diff: ' + formatBytes(d, true) + (baseSize[i] > 0 ? ' (' + (d > 0 ? '+' : '') + percent(d, baseSize[i]) + ')' : ' (new)'),
      )
      lines.push('objects: base ' + formatCount(baseCount[i]) + ', diff ' + formatCount(count[i] - baseCount[i], true))
      if (isGone(i)) lines.push('only in the base snapshot')
    }
    return lines
  }

  function showTooltip(i, ev) {
    tooltip.replaceChildren()
    const title = document.createElement('b')
    title.textContent = label(i)
    tooltip.appendChild(title)
    tooltip.appendChild(document.createTextNode(describe(i).join('\n')))
    tooltip.hidden = false
    const pad = 14
    const r = tooltip.getBoundingClientRect()
    let x = ev.clientX + pad
    let y = ev.clientY + pad
    if (x + r.width > window.innerWidth) x = Math.max(0, ev.clientX - r.width - pad)
    if (y + r.height > window.innerHeight) y = Math.max(0, ev.clientY - r.height - pad)
    tooltip.style.left = x + 'px'
    tooltip.style.top = y + 'px'
  }

  function hideTooltip() {
    tooltip.hidden = true
  }

  function nodeOf(target) {
    const el = target instanceof Element ? target.closest('.frame') : null
    return el === null ? -1 : Number(el.dataset.node)
  }

  chart.addEventListener('click', (ev) => {
    const i = nodeOf(ev.target)
    if (i >= 0) zoom(i)
  })
  chart.addEventListener('mousemove', (ev) => {
    const i = nodeOf(ev.target)
    if (i >= 0) showTooltip(i, ev)
    else hideTooltip()
  })
  chart.addEventListener('mouseleave', hideTooltip)
  reset.addEventListener('click', () => zoom(0))
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      if (document.activeElement === search && search.value !== '') {
        search.value = ''
        runSearch()
      } else zoom(0)
    } else if (ev.key === '/' && document.activeElement !== search) {
      ev.preventDefault()
      search.focus()
    }
  })

  function runSearch() {
    const term = search.value.trim().toLowerCase()
    if (term === '') {
      matched = null
      matchesOut.textContent = ''
      render()
      return
    }
    matched = new Uint8Array(n)
    let hits = 0
    for (let i = 1; i < n; i++) {
      if (label(i).toLowerCase().includes(term)) {
        matched[i] = 1
        hits++
      }
    }
    // Bytes under matching frames, each counted once (nested matches skipped).
    let total = 0
    for (let i = 0; i < n; ) {
      if (matched[i] === 1) {
        total += size[i]
        i = end[i]
      } else i++
    }
    matchesOut.textContent =
      hits === 0 ? 'no match' : hits + (hits === 1 ? ' frame, ' : ' frames, ') + formatBytes(total) + ' (' + percent(total, size[0]) + ')'
    render()
  }
  search.addEventListener('input', runSearch)

  let pending = false
  window.addEventListener('resize', () => {
    if (pending) return
    pending = true
    requestAnimationFrame(() => {
      pending = false
      render()
    })
  })

  if (n > 0) render()
})()
