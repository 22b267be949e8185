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

/** A bench module (`bench/<name>.ts`) exports `run`, listed in `bench/index.ts`. */
export type Bench = (options: { signal: AbortSignal, log: (line: string) => void }) => Promise<Figure[]>
