import assert from 'node:assert/strict'
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { readProtocolFile, readProtocolFileSync, validateProtocol, validateProtocolFile, validateProtocolFiles, MAX_PROTOCOL_BYTES } from '../../src/protocol/index.js'
import { describeProblems, minimal } from './helpers.js'
import { dump } from 'js-yaml'
import type { ValidationResult } from '../../src/protocol/index.js'

const MiB = 1024 * 1024

function onlyError (result: ValidationResult, rule: string): void {
  assert.equal(result.ok, false)
  assert.equal(result.errors.length, 1, describeProblems(result))
  assert.equal(result.errors[0].rule, rule, describeProblems(result))
}

/** The classic "billion laughs": 9 levels of 9 aliases, 10^9 strings once expanded. */
function billionLaughs (): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
  const names = 'abcdefghi'
  for (let i = 1; i < names.length; i++) {
    const prev = names[i - 1]
    lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${prev}`).join(',')}]`)
  }
  return lines.join('\n') + '\n'
}

describe('protocol: safe parsing of hostile input', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'paip-protocol-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('rejects a YAML bomb (billion laughs) quickly, in bounded memory, with a clear error', () => {
    global.gc?.()
    const heap = process.memoryUsage().heapUsed
    const started = performance.now()
    const result = validateProtocol(billionLaughs())
    const elapsed = performance.now() - started
    onlyError(result, 'yaml-bomb')
    assert.match(result.errors[0].message, /expands to more than/)
    assert.equal(typeof result.errors[0].line, 'number')
    assert.ok(elapsed < 1000, `took ${elapsed} ms`)
    assert.ok(process.memoryUsage().heapUsed - heap < 64 * MiB, 'used too much memory')
  })

  it('rejects a bomb hidden in a valid protocol\'s parameters', () => {
    const doc = dump(minimal()) + 'parameters:\n' + billionLaughs().split('\n').map(l => l === '' ? '' : '  ' + l).join('\n')
    onlyError(validateProtocol(doc), 'yaml-bomb')
  })

  it('accepts aliases and merge keys of ordinary size', () => {
    const text = [
      'protocolVersion: 2', 'name: merged', 'type: job',
      'prerequisites: [{name: image, type: dockerimage, uri: python}]',
      'taskRoles:',
      '  a: &role',
      '    dockerImage: image',
      '    resourcePerInstance: {cpu: 1, memoryMB: 512, gpu: 0}',
      '    commands: [echo a]',
      '  b:',
      '    <<: *role',
      '    instances: 2',
      '  c: *role',
      ''
    ].join('\n')
    const result = validateProtocol(text)
    assert.equal(result.ok, true, describeProblems(result))
    assert.deepEqual((result.protocol as any).taskRoles.b.commands, ['echo a'])
  })

  it('rejects an alias that refers to a collection containing it (a cycle)', () => {
    onlyError(validateProtocol('a: &x [1, *x]\n'), 'yaml-bomb')
  })

  it('rejects nesting deeper than the cap, quickly', () => {
    const started = performance.now()
    const result = validateProtocol('a: ' + '['.repeat(10_000) + ']'.repeat(10_000) + '\n')
    onlyError(result, 'yaml-depth')
    assert.ok(performance.now() - started < 1000)
  })

  it('rejects a 50 MiB text over the 1 MiB default cap without parsing it', () => {
    const big = 'a: ' + 'x'.repeat(50 * MiB) + '\n'
    const started = performance.now()
    onlyError(validateProtocol(big), 'too-large')
    onlyError(validateProtocol(Buffer.from(big)), 'too-large')
    assert.ok(performance.now() - started < 2000)
  })

  it('rejects a 50 MiB file by its size, without reading it', async () => {
    const path = join(dir, 'huge.yaml')
    await writeFile(path, '')
    await truncate(path, 50 * MiB)
    const read = await readProtocolFile(path)
    assert.equal(read.ok, false)
    if (!read.ok) assert.equal(read.problem.rule, 'too-large')
    onlyError(await validateProtocolFile(path), 'too-large')
  })

  it('rejects a 50 MiB file in a batch too, and keeps the order of the batch', async () => {
    const huge = join(dir, 'huge2.yaml')
    const good = join(dir, 'good.yaml')
    await writeFile(huge, '')
    await truncate(huge, 50 * MiB)
    await writeFile(good, dump(minimal()))
    const sync = readProtocolFileSync(huge)
    assert.equal(sync.ok ? 'ok' : sync.problem.rule, 'too-large')
    const results = await validateProtocolFiles([good, huge, join(dir, 'nope.yaml'), dir])
    assert.deepEqual(results.map(r => r.ok ? 'ok' : r.errors[0].rule), ['ok', 'too-large', 'io', 'io'])
  })

  it('does not hang on a FIFO with no writer', async function () {
    const fifo = join(dir, 'fifo.yaml')
    try { execFileSync('mkfifo', [fifo]) } catch { this.skip() }
    const results = await validateProtocolFiles([fifo])
    assert.equal(results[0].ok, false)
    const read = await readProtocolFile(fifo)
    assert.ok(!read.ok || read.bytes.length === 0)
  })

  it('honours a smaller size cap', () => {
    const text = dump(minimal())
    onlyError(validateProtocol(text, { maxBytes: 100 }), 'too-large')
    assert.ok(Buffer.byteLength(text) < MAX_PROTOCOL_BYTES)
  })

  it('rejects binary data (a NUL byte) and says where', () => {
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d])
    onlyError(validateProtocol(bytes), 'binary')
    const result = validateProtocol('name: a\nb: \u0000\n')
    onlyError(result, 'binary')
    assert.equal(result.errors[0].line, 2)
  })

  it('rejects text that is not UTF-8, with the line of the first bad byte', () => {
    const latin1 = Buffer.concat([Buffer.from('protocolVersion: 2\nname: caf'), Buffer.from([0xe9]), Buffer.from('\n')])
    const result = validateProtocol(latin1)
    onlyError(result, 'encoding')
    assert.equal(result.errors[0].line, 2)
    assert.match(result.errors[0].message, /UTF-8/)
  })

  it('rejects UTF-16 with a clear message, and accepts a UTF-8 byte order mark', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name: x\n', 'utf16le')])
    onlyError(validateProtocol(utf16), 'encoding')
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(dump(minimal()))])
    assert.equal(validateProtocol(bom).ok, true)
  })

  it('rejects a multi-document stream at its second document', () => {
    const result = validateProtocol(dump(minimal()) + '---\nsecret: 1\n')
    onlyError(result, 'yaml-multi-document')
    assert.equal(result.errors[0].line, dump(minimal()).split('\n').length)
  })

  it('accepts a single document with an explicit `---` start', () => {
    assert.equal(validateProtocol('---\n' + dump(minimal())).ok, true)
  })

  it('runs no code: unknown and language-specific tags are syntax errors', () => {
    for (const tag of ['!!js/function "function () {}"', '!!python/object:os.system ls', '!<tag:yaml.org,2002:js/regexp> /x/']) {
      const result = validateProtocol(`a: ${tag}\n`)
      onlyError(result, 'yaml-syntax')
      assert.equal(result.errors[0].line, 1)
    }
  })

  it('rejects duplicate keys with their line', () => {
    const result = validateProtocol('name: a\nname: b\n')
    onlyError(result, 'yaml-syntax')
    assert.equal(result.errors[0].line, 2)
  })

  it('rejects an empty file', () => {
    onlyError(validateProtocol(''), 'schema')
    onlyError(validateProtocol(new Uint8Array()), 'schema')
  })

  it('treats a __proto__ key as an unknown field, polluting nothing', () => {
    const result = validateProtocol(dump(minimal()) + '__proto__: {polluted: true}\n')
    assert.equal(result.ok, false)
    assert.equal(result.errors[0].path, '/__proto__')
    assert.equal(({} as any).polluted, undefined)
  })

  it('reports a missing file and a directory as problems, not exceptions', async () => {
    onlyError(await validateProtocolFile(join(dir, 'missing.yaml')), 'io')
    onlyError(await validateProtocolFile(dir), 'io')
  })
})
