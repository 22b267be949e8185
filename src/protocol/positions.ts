/**
 * Where each field of a parsed document sits in its YAML source: JSON pointer → offset, and
 * offset → 1-based line and column. A path with no entry of its own (a missing property, a
 * key brought in by a merge) resolves to its nearest ancestor that has one.
 */

/** Escapes one JSON pointer segment (RFC 6901). */
export function pointerSegment (key: string | number): string {
  const s = String(key)
  return s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s
}

/** Joins a JSON pointer and one more segment. */
export function childPath (path: string, key: string | number): string {
  return `${path}/${pointerSegment(key)}`
}

/** How far past a value's start `locateText` looks (a value is at most this long in practice). */
const MAX_TEXT_DISTANCE = 64 * 1024

export class SourceMap {
  readonly offsets = new Map<string, number>()
  private lineStarts?: number[]
  private fill?: (map: SourceMap) => void

  /** `fill` records the positions on first use (most documents never need them). */
  constructor (readonly source: string, fill?: (map: SourceMap) => void) {
    this.fill = fill
  }

  /** Records where `path` starts, keeping the first record (a key's position beats its value's). */
  set (path: string, offset: number): void {
    if (offset >= 0 && !this.offsets.has(path)) this.offsets.set(path, offset)
  }

  /** 1-based line and column of an offset. */
  lineColumn (offset: number): { line: number, column: number } {
    if (this.lineStarts == null) {
      const starts = [0]
      const s = this.source
      for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) starts.push(i + 1)
      this.lineStarts = starts
    }
    const starts = this.lineStarts
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid] <= offset) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, column: offset - starts[lo] + 1 }
  }

  /**
   * Line and column of `text` inside the value at `path` (e.g. one template tag in a block of
   * commands), searched in the source from where the value starts; else those of the path.
   */
  locateText (path: string, text: string): { line: number, column: number } | undefined {
    const at = this.locate(path)
    const start = this.offsets.get(path)
    if (start == null || text === '') return at
    const found = this.source.indexOf(text, start)
    return found >= 0 && found - start <= MAX_TEXT_DISTANCE ? this.lineColumn(found) : at
  }

  /** Line and column of a path, or of its nearest recorded ancestor. */
  locate (path: string): { line: number, column: number } | undefined {
    if (this.fill != null) {
      const fill = this.fill
      this.fill = undefined
      fill(this)
    }
    let p = path
    for (;;) {
      const offset = this.offsets.get(p)
      if (offset != null) return this.lineColumn(offset)
      if (p === '') return undefined
      p = p.slice(0, p.lastIndexOf('/'))
    }
  }
}
