/**
 * A small line chart as SVG text, written by hand (no plotting service, no dependency): axes
 * with ticks, one coloured line with dots per series, a legend. The x axis is logarithmic when
 * the x values span more than a factor of 50 (N = 10 ... 10,000 nodes).
 */
export interface Series { label: string, points: Array<[number, number]> }

export interface ChartInit {
  title: string
  xLabel: string
  yLabel: string
  series: Series[]
}

const WIDTH = 640
const HEIGHT = 360
const MARGIN = { left: 64, right: 200, top: 36, bottom: 48 }
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf', '#bcbd22']

export function lineChart (init: ChartInit): string {
  const points = init.series.flatMap(s => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
  const xs = points.map(p => p[0])
  const ys = points.map(p => p[1])
  const xMin = Math.min(...xs)
  const xMax = Math.max(...xs)
  const logX = xMin > 0 && xMax / xMin > 50
  const yMax = niceCeil(Math.max(...ys, 0))
  const plotW = WIDTH - MARGIN.left - MARGIN.right
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom
  const fx = (x: number): number => {
    if (xMax === xMin) return MARGIN.left + plotW / 2
    const t = logX ? (Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin)) : (x - xMin) / (xMax - xMin)
    return MARGIN.left + t * plotW
  }
  const fy = (y: number): number => MARGIN.top + plotH - (yMax === 0 ? 0 : y / yMax) * plotH
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`)
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`)
  out.push(`<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">${esc(init.title)}</text>`)
  // axes
  out.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="black"/>`)
  out.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="black"/>`)
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4
    out.push(`<line x1="${MARGIN.left - 4}" y1="${r(fy(y))}" x2="${MARGIN.left + plotW}" y2="${r(fy(y))}" stroke="#ddd"/>`)
    out.push(`<text x="${MARGIN.left - 8}" y="${r(fy(y) + 4)}" text-anchor="end">${label(y)}</text>`)
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<line x1="${r(fx(x))}" y1="${MARGIN.top + plotH}" x2="${r(fx(x))}" y2="${MARGIN.top + plotH + 4}" stroke="black"/>`)
    out.push(`<text x="${r(fx(x))}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${label(x)}</text>`)
  }
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">${esc(init.xLabel)}${logX ? ' (log scale)' : ''}</text>`)
  out.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(init.yLabel)}</text>`)
  init.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length]
    const pts = series.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).sort((a, b) => a[0] - b[0])
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.map(([x, y]) => `${r(fx(x))},${r(fy(y))}`).join(' ')}"/>`)
    for (const [x, y] of pts) out.push(`<circle cx="${r(fx(x))}" cy="${r(fy(y))}" r="3.5" fill="${colour}"><title>${esc(series.label)}: ${label(y)} at ${label(x)}</title></circle>`)
    const ly = MARGIN.top + 8 + i * 18
    out.push(`<rect x="${WIDTH - MARGIN.right + 12}" y="${ly - 8}" width="12" height="12" fill="${colour}"/>`)
    out.push(`<text x="${WIDTH - MARGIN.right + 30}" y="${ly + 2}">${esc(truncate(series.label, 28))}</text>`)
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}

function niceCeil (v: number): number {
  if (v <= 0) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p
  return 10 * p
}

function label (n: number): string {
  if (Math.abs(n) >= 10_000) return `${Math.round(n / 1000)}k`
  if (Math.abs(n) >= 100 || Number.isInteger(n)) return String(Math.round(n))
  return n.toFixed(Math.abs(n) >= 10 ? 1 : 2)
}

function r (n: number): string { return n.toFixed(1) }

function truncate (s: string, n: number): string { return s.length > n ? s.slice(0, n - 1) + '…' : s }

function esc (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
