import { PassThrough } from 'node:stream'
import type { Readable } from 'node:stream'

/**
 * Newline-delimited JSON, as the API streams long answers (a network search's hits, a fetch's
 * progress) and the CLI reads them: one JSON value a line.
 */

export const NDJSON_TYPE = 'application/x-ndjson'

/** Whether an `Accept` header asks for NDJSON. */
export function acceptsNdjson (accept: string | string[] | undefined): boolean {
  return String(accept ?? '').includes(NDJSON_TYPE)
}

/**
 * A stream of NDJSON lines: `produce` writes each value with `line` as it comes; when it
 * throws, `onError(err)` gives the last line (the error's JSON body). The stream ends after.
 */
export function ndjsonStream (produce: (line: (value: unknown) => void) => Promise<void>, onError: (err: unknown) => unknown): Readable {
  const out = new PassThrough()
  const line = (value: unknown): void => { out.write(JSON.stringify(value) + '\n') }
  void (async () => {
    try {
      await produce(line)
    } catch (err) {
      line(onError(err))
    } finally {
      out.end()
    }
  })()
  return out
}

/** The values of an NDJSON body, one a line as the lines arrive (blank lines skipped). */
export async function * ndjsonLines (body: AsyncIterable<Uint8Array>): AsyncGenerator<any> {
  const decoder = new TextDecoder()
  let buffered = ''
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true })
    let at: number
    while ((at = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, at).trim()
      buffered = buffered.slice(at + 1)
      if (line !== '') yield JSON.parse(line)
    }
  }
  if (buffered.trim() !== '') yield JSON.parse(buffered)
}
