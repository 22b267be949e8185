/**
 * Hides secret values from a byte stream (a job's stdout/stderr), even when a value is split
 * across chunks: the last `longest - 1` bytes of each chunk are held back until the next.
 */
export interface Redactor {
  /** Returns the bytes that are safe to pass on now. */
  push: (chunk: Uint8Array) => Uint8Array
  /** Returns what was held back (at the end of the stream). */
  flush: () => Uint8Array
}

const MASK = Buffer.from('***')

export function createRedactor (secrets: string[]): Redactor {
  const values = secrets.filter(s => s.length > 0).map(s => Buffer.from(s)).sort((a, b) => b.length - a.length)
  if (values.length === 0) return { push: chunk => chunk, flush: () => new Uint8Array(0) }
  const hold = values[0].length - 1
  let pending: Buffer = Buffer.alloc(0)

  function mask (buf: Buffer): Buffer {
    let out = buf
    for (const value of values) {
      if (out.indexOf(value) === -1) continue
      const parts: Buffer[] = []
      let from = 0
      for (let at = out.indexOf(value); at !== -1; at = out.indexOf(value, from)) {
        parts.push(out.subarray(from, at), MASK)
        from = at + value.length
      }
      parts.push(out.subarray(from))
      out = Buffer.concat(parts)
    }
    return out
  }

  return {
    push (chunk) {
      const all = mask(Buffer.concat([pending, chunk]))
      // hold back a tail that could be the start of a secret
      const keep = Math.min(hold, all.length)
      pending = Buffer.from(all.subarray(all.length - keep))
      return all.subarray(0, all.length - keep)
    },
    flush () {
      const rest = mask(pending)
      pending = Buffer.alloc(0)
      return rest
    }
  }
}
