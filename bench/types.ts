/** One figure a benchmark measured, with the target it is held against (if any). */
export interface Figure {
  name: string
  value: number
  unit: string
  /** The bar to beat: `value` must be at most (or at least, with `higherIsBetter`) this. */
  target?: number
  higherIsBetter?: boolean
  note?: string
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
