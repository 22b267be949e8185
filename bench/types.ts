/** One figure a benchmark measured, with the target it is held against (if any). */
export interface Figure {
  name: string
  value: number
  unit: string
  /** The bar to beat: `value` must be at most (or at least, with `higherIsBetter`) this. */
  target?: number
  higherIsBetter?: boolean
  note?: string
  /** Why a missed target is missed, as measured (a profile, a count), written next to it. */
  reason?: string
  /** An outside reference to read the figure against (another system's published number). */
  anchor?: string
  /**
   * Makes the figure one point of a plot in `docs/benchmarks.md`: the plot (`latency-vs-n`,
   * `hops-vs-n`, `throughput`, or a new id), the line it belongs to, and its x (e.g. N nodes).
   */
  plot?: PlotPoint
}

export interface PlotPoint {
  id: string
  series: string
  x: number
}

export interface BenchOptions {
  signal: AbortSignal
  /** Progress for people. */
  log: (line: string) => void
  /** Prints a figure at once (so a later failure does not lose it). */
  report: (figure: Figure) => void
}

/**
 * A bench module (`bench/<name>.ts`) exports `run`, listed in `bench/index.ts`. It reports
 * figures as it measures them (and may also return more).
 */
export type Bench = (options: BenchOptions) => Promise<Figure[] | undefined>

/** Whether a figure meets its target (undefined when it has none). */
export function meets (figure: Figure): boolean | undefined {
  if (figure.target == null) return undefined
  return figure.higherIsBetter === true ? figure.value >= figure.target : figure.value <= figure.target
}

/** Quantile `q` (0..1) of `values`, nearest rank; NaN when empty. */
export function quantile (values: number[], q: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
}
