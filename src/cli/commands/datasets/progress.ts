import { formatBytes, formatDuration } from './shared.js'

/**
 * A one-line progress bar for a terminal: bar, bytes, rate and ETA, redrawn in place on
 * stderr at most ten times a second.
 */
export interface ProgressBar {
  update: (bytes: number, total: number) => void
  done: () => void
}

export function progressBar (write: (text: string) => void, width = 30): ProgressBar {
  const started = Date.now()
  let drawn = 0
  let last = ''
  const draw = (bytes: number, total: number): void => {
    const fraction = total > 0 ? Math.min(1, bytes / total) : 0
    const filled = Math.round(fraction * width)
    const elapsed = (Date.now() - started) / 1000
    const rate = elapsed > 0 ? bytes / elapsed : 0
    const eta = rate > 0 ? (total - bytes) / rate : Infinity
    last = `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${formatBytes(bytes)}/${formatBytes(total)}  ${formatBytes(rate)}/s  ETA ${formatDuration(eta)}`
    write(last)
  }
  return {
    update (bytes, total) {
      const now = Date.now()
      if (now - drawn < 100 && bytes < total) return
      drawn = now
      draw(bytes, total)
    },
    done () {
      if (last !== '') write('\n')
    }
  }
}
