/** Reading a protocol file with the size cap applied before the bytes are read. */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { open } from 'node:fs/promises'
import { MAX_PROTOCOL_BYTES } from './constants.js'
import { validateProtocol } from './validate.js'
import type { Problem, ValidateOptions, ValidationResult } from './types.js'
import type { FileHandle } from 'node:fs/promises'

/** The first read's size: most protocols fit, so a file costs open, one read and close. */
const FIRST_READ_BYTES = 16 * 1024

export interface ReadProtocolOptions {
  maxBytes?: number
  signal?: AbortSignal
}

const scratch = new Uint8Array(FIRST_READ_BYTES)

export type ReadProtocol = { ok: true, bytes: Uint8Array } | { ok: false, problem: Problem }

function failure (rule: string, message: string): ReadProtocol {
  return { ok: false, problem: { severity: 'error', path: '', message, rule } }
}

function describeError (err: any): ReadProtocol {
  switch (err?.code) {
    case 'ENOENT': return failure('io', 'no such file')
    case 'EACCES': case 'EPERM': return failure('io', 'permission denied')
    case 'EISDIR': return failure('io', 'is a directory')
    case 'EAGAIN': return failure('io', 'not a regular file (nothing to read)')
    default: return failure('io', `cannot read: ${err?.message ?? String(err)}`)
  }
}

/** The rest of a file whose first read filled its buffer: checked against the cap by size first. */
async function readRest (handle: FileHandle, first: Uint8Array, maxBytes: number, signal?: AbortSignal): Promise<ReadProtocol> {
  const info = await handle.stat()
  if (info.isFile() && info.size > maxBytes) return failure('too-large', `file is ${info.size} bytes, over the ${maxBytes}-byte limit`)
  const buffer = new Uint8Array(Math.min(info.isFile() ? Math.max(info.size, first.length) : maxBytes, maxBytes) + 1)
  buffer.set(first)
  let length = first.length
  while (length < buffer.length) {
    signal?.throwIfAborted()
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
    if (bytesRead === 0) break
    length += bytesRead
  }
  if (length > maxBytes) return failure('too-large', `file is over the ${maxBytes}-byte limit`)
  return { ok: true, bytes: buffer.subarray(0, length) }
}

/**
 * Reads at most `maxBytes` (+1, to tell a file over the cap) of a file: a 50 MiB file costs one
 * small read and a `stat`, and a FIFO or device never makes it wait or read forever.
 */
export async function readProtocolFile (path: string, options: ReadProtocolOptions = {}): Promise<ReadProtocol> {
  const maxBytes = options.maxBytes ?? MAX_PROTOCOL_BYTES
  options.signal?.throwIfAborted()
  let handle: FileHandle
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    return describeError(err)
  }
  try {
    const first = new Uint8Array(Math.min(FIRST_READ_BYTES, maxBytes + 1))
    const { bytesRead } = await handle.read(first, 0, first.length, null)
    // a short read of a regular file is its end
    if (bytesRead < first.length) return { ok: true, bytes: first.subarray(0, bytesRead) }
    return await readRest(handle, first, maxBytes, options.signal)
  } catch (err) {
    if ((err as any)?.name === 'AbortError') throw err
    return describeError(err)
  } finally {
    await handle.close()
  }
}

/**
 * `readProtocolFile` without the thread pool: for batches, where one async round trip per file
 * costs more than validating it. Same caps; blocks for one small read (the cap bounds it).
 */
export function readProtocolFileSync (path: string, options: { maxBytes?: number } = {}): ReadProtocol {
  const maxBytes = options.maxBytes ?? MAX_PROTOCOL_BYTES
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    return describeError(err)
  }
  try {
    // synchronous, so one scratch buffer serves every call; small files are copied out of it
    const first = scratch.subarray(0, Math.min(FIRST_READ_BYTES, maxBytes + 1))
    const bytesRead = readSync(fd, first, 0, first.length, null)
    if (bytesRead < first.length) return { ok: true, bytes: first.slice(0, bytesRead) }
    const info = fstatSync(fd)
    if (info.isFile() && info.size > maxBytes) return failure('too-large', `file is ${info.size} bytes, over the ${maxBytes}-byte limit`)
    const buffer = new Uint8Array(Math.min(info.isFile() ? Math.max(info.size, first.length) : maxBytes, maxBytes) + 1)
    buffer.set(first)
    let length = first.length
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null)
      if (n === 0) break
      length += n
    }
    if (length > maxBytes) return failure('too-large', `file is over the ${maxBytes}-byte limit`)
    return { ok: true, bytes: buffer.subarray(0, length) }
  } catch (err) {
    return describeError(err)
  } finally {
    closeSync(fd)
  }
}

/** Reads and validates one protocol file (never throws for a bad or missing file). */
export async function validateProtocolFile (path: string, options: ValidateOptions & { signal?: AbortSignal } = {}): Promise<ValidationResult> {
  const read = await readProtocolFile(path, options)
  if (!read.ok) return { ok: false, errors: [read.problem], warnings: [] }
  return validateProtocol(read.bytes, { file: path, ...options })
}

/** Files validated between two yields to the event loop in `validateProtocolFiles`. */
const FILES_PER_TURN = 32

/**
 * Validates many files, in the order of `paths`. Reads are synchronous and capped (see
 * `readProtocolFileSync`); the event loop gets a turn every few files and `signal` is checked.
 */
export async function validateProtocolFiles (paths: string[], options: ValidateOptions & { signal?: AbortSignal } = {}): Promise<ValidationResult[]> {
  const results: ValidationResult[] = []
  for (const path of paths) {
    if (results.length % FILES_PER_TURN === FILES_PER_TURN - 1) await yieldToLoop()
    options.signal?.throwIfAborted()
    const read = readProtocolFileSync(path, options)
    results.push(read.ok ? validateProtocol(read.bytes, { file: path, ...options }) : { ok: false, errors: [read.problem], warnings: [] })
  }
  return results
}
