import { AbortedError, InvalidArgumentError } from '../errors.js'
import type { Readable, Writable } from 'node:stream'

/** A password is read from a terminal only when there is one. */
export class NoTerminalError extends InvalidArgumentError {
  static name = 'NoTerminalError'
  name = 'NoTerminalError'
  constructor () { super('no terminal to read a password from: run it in a terminal, or pipe the password in with --password-stdin') }
}

export interface TerminalStreams {
  input: Readable & { isTTY?: boolean, setRawMode?: (raw: boolean) => unknown }
  /** Where the prompt goes (stderr, so stdout stays the command's result). */
  output: Writable
}

const CTRL_C = 0x03
const CTRL_D = 0x04
const CTRL_U = 0x15
const BACKSPACE = 0x7f
const BS = 0x08
const ESC = 0x1b

/**
 * Reads one line from the terminal without echo (raw mode): Enter ends it, Backspace and
 * Ctrl-U edit, Ctrl-C or the signal abort it, Ctrl-D on an empty line aborts it.
 * Rejects with `NoTerminalError` when the input is not a terminal.
 */
export async function readSecretFromTerminal (prompt: string, streams: TerminalStreams, signal?: AbortSignal): Promise<string> {
  const { input, output } = streams
  if (input.isTTY !== true || typeof input.setRawMode !== 'function') throw new NoTerminalError()
  signal?.throwIfAborted()
  output.write(prompt)
  input.setRawMode(true)
  input.resume()
  let secret = ''
  let cleanup = (): void => {}
  try {
    return await new Promise<string>((resolve, reject) => {
      const onAbort = (): void => { reject(new AbortedError('interrupted')) }
      const onData = (chunk: Buffer | string): void => {
        const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8')
        if (text.charCodeAt(0) === ESC) return // arrow keys and other escape sequences
        for (const char of text) {
          const code = char.charCodeAt(0)
          if (char === '\r' || char === '\n') { resolve(secret); return }
          if (code === CTRL_C) { reject(new AbortedError('interrupted')); return }
          if (code === CTRL_D) { if (secret === '') { reject(new AbortedError('no password given')); return } continue }
          if (code === BACKSPACE || code === BS) { secret = [...secret].slice(0, -1).join(''); continue }
          if (code === CTRL_U) { secret = ''; continue }
          if (code < 0x20) continue
          secret += char
        }
      }
      const onEnd = (): void => { reject(new AbortedError('the terminal closed')) }
      signal?.addEventListener('abort', onAbort, { once: true })
      input.on('data', onData)
      input.once('end', onEnd)
      cleanup = () => {
        signal?.removeEventListener('abort', onAbort)
        input.off('data', onData)
        input.off('end', onEnd)
      }
    })
  } finally {
    cleanup()
    input.setRawMode(false)
    input.pause()
    output.write('\n')
  }
}

/** Reads all of `input` (at most `max` bytes) as text, e.g. a password piped in. */
export async function readAll (input: Readable, max: number, signal?: AbortSignal): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  signal?.throwIfAborted()
  const onAbort = (): void => { input.destroy(new AbortedError('interrupted')) }
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    for await (const chunk of input) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk as Buffer
      size += buffer.length
      if (size > max) throw new InvalidArgumentError(`standard input is over ${max} bytes`)
      chunks.push(buffer)
    }
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
  return Buffer.concat(chunks).toString('utf8')
}
