/**
 * Bytes to text, before any YAML is read: the size cap, binary data, UTF-16 and invalid UTF-8
 * are rejected here with a clear problem.
 */
import type { Problem } from './types.js'

export type Decoded = { ok: true, text: string } | { ok: false, problem: Problem }

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

function fail (rule: string, message: string, position?: { line: number, column: number }): Decoded {
  return { ok: false, problem: { severity: 'error', path: '', message, rule, ...position } }
}

/** Line and column (1-based) of a byte offset, counting newlines before it. */
function byteLineColumn (bytes: Uint8Array, offset: number): { line: number, column: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) { line++; lineStart = i + 1 }
  }
  return { line, column: offset - lineStart + 1 }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8 (bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]
    const need = b < 0x80 ? 0 : (b >= 0xc2 && b <= 0xdf) ? 1 : (b >= 0xe0 && b <= 0xef) ? 2 : (b >= 0xf0 && b <= 0xf4) ? 3 : -1
    if (need < 0) return i
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k]
      if (c === undefined || (c & 0xc0) !== 0x80) return i
    }
    // overlong three-byte forms, surrogates and code points over U+10FFFF
    if (need === 2 && ((b === 0xe0 && bytes[i + 1] < 0xa0) || (b === 0xed && bytes[i + 1] >= 0xa0))) return i
    if (need === 3 && ((b === 0xf0 && bytes[i + 1] < 0x90) || (b === 0xf4 && bytes[i + 1] >= 0x90))) return i
    i += need + 1
  }
  return -1
}

/** Decodes protocol input: a string is taken as is (after the size and NUL checks). */
export function decodeProtocolText (input: Uint8Array | string, maxBytes: number): Decoded {
  if (typeof input === 'string') {
    // a JS string never holds more UTF-8 bytes than 3 per UTF-16 unit: skip the count when small
    const size = input.length * 3 <= maxBytes ? input.length : Buffer.byteLength(input, 'utf8')
    if (size > maxBytes) return fail('too-large', `protocol is ${size} bytes, over the ${maxBytes}-byte limit`)
    const nul = input.indexOf('\u0000')
    if (nul >= 0) return fail('binary', 'binary data (a NUL character), not a YAML text file', lineColumnOfString(input, nul))
    return { ok: true, text: input.charCodeAt(0) === 0xfeff ? input.slice(1) : input }
  }
  if (input.byteLength > maxBytes) return fail('too-large', `protocol is ${input.byteLength} bytes, over the ${maxBytes}-byte limit`)
  if (input.byteLength >= 2 && ((input[0] === 0xff && input[1] === 0xfe) || (input[0] === 0xfe && input[1] === 0xff))) {
    return fail('encoding', 'the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8', { line: 1, column: 1 })
  }
  const nul = input.indexOf(0)
  if (nul >= 0) return fail('binary', 'binary data (a NUL byte), not a YAML text file', byteLineColumn(input, nul))
  try {
    return { ok: true, text: decoder.decode(input) }
  } catch {
    const offset = firstInvalidUtf8(input)
    const at = offset >= 0 ? byteLineColumn(input, offset) : undefined
    const byte = offset >= 0 ? ` (byte 0x${input[offset].toString(16).padStart(2, '0')} at offset ${offset})` : ''
    return fail('encoding', `not valid UTF-8${byte}; protocols must be UTF-8 text`, at)
  }
}

function lineColumnOfString (text: string, offset: number): { line: number, column: number } {
  let line = 1
  let lineStart = 0
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) { line++; lineStart = i + 1 }
  return { line, column: offset - lineStart + 1 }
}
