/** Reading a protocol file with the size cap applied before the bytes are read. */
import { open } from 'node:fs/promises'
import { MAX_PROTOCOL_BYTES } from './constants.js'
import { validateProtocol } from './validate.js'
import type { Problem, ValidateOptions, ValidationResult } from './types.js'

export interface ReadProtocolOptions {
  maxBytes?: number
  signal?: AbortSignal
}

export type ReadProtocol = { ok: true, bytes: Uint8Array } | { ok: false, problem: Problem }

/**
 * Reads at most `maxBytes` (+1, to tell a file over the cap) of a file: a 50 MiB file costs one
 * small read, and a FIFO or device never makes it read forever.
 */
export async function readProtocolFile (path: string, options: ReadProtocolOptions = {}): Promise<ReadProtocol> {
  const maxBytes = options.maxBytes ?? MAX_PROTOCOL_BYTES
  options.signal?.throwIfAborted()
  let handle
  try {
    handle = await open(path, 'r')
  } catch (err: any) {
    const message = err?.code === 'ENOENT' ? 'no such file' : err?.code === 'EACCES' ? 'permission denied' : `cannot open: ${err?.message ?? String(err)}`
    return { ok: false, problem: { severity: 'error', path: '', message, rule: 'io' } }
  }
  try {
    const info = await handle.stat()
    if (info.isDirectory()) return { ok: false, problem: { severity: 'error', path: '', message: 'is a directory', rule: 'io' } }
    if (info.isFile() && info.size > maxBytes) {
      return { ok: false, problem: { severity: 'error', path: '', message: `file is ${info.size} bytes, over the ${maxBytes}-byte limit`, rule: 'too-large' } }
    }
    const capacity = info.isFile() ? Math.min(info.size, maxBytes) + 1 : maxBytes + 1
    const buffer = new Uint8Array(capacity)
    let length = 0
    while (length < buffer.length) {
      options.signal?.throwIfAborted()
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
    }
    if (length === capacity && capacity <= maxBytes) return { ok: false, problem: { severity: 'error', path: '', message: 'the file grew while it was read', rule: 'io' } }
    if (length > maxBytes) return { ok: false, problem: { severity: 'error', path: '', message: `file is over the ${maxBytes}-byte limit`, rule: 'too-large' } }
    return { ok: true, bytes: buffer.subarray(0, length) }
  } finally {
    await handle.close()
  }
}

/** Reads and validates one protocol file (never throws for a bad or missing file). */
export async function validateProtocolFile (path: string, options: ValidateOptions & { signal?: AbortSignal } = {}): Promise<ValidationResult> {
  const read = await readProtocolFile(path, options)
  if (!read.ok) return { ok: false, errors: [read.problem], warnings: [] }
  return validateProtocol(read.bytes, { file: path, ...options })
}
