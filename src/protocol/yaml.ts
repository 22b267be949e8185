/**
 * Safe YAML parsing for protocols: one document, js-yaml's core schema (plus merge keys and
 * timestamps, as js-yaml 3's `safeLoad` that OpenPAI runs), nesting depth and alias expansion
 * capped, and a source map (field path → line and column) built from the parser's events.
 */
import { CORE_SCHEMA, EVENT_ID, YAMLException, constructFromEvents, getScalarValue, mergeTag, parseEvents, timestampTag } from 'js-yaml'
import { childPath, SourceMap } from './positions.js'
import type { Problem } from './types.js'
import type { Event } from 'js-yaml'

/** What OpenPAI's `yaml.safeLoad` (js-yaml 3) understands, and nothing that runs code. */
export const PROTOCOL_YAML_SCHEMA = CORE_SCHEMA.withTags(mergeTag, timestampTag)

export interface YamlLimits {
  maxNodes: number
  maxDepth: number
  maxAliases: number
}

export type ParsedYaml = { ok: true, value: unknown, map: SourceMap } | { ok: false, problem: Problem, map: SourceMap }

interface Frame {
  isMap: boolean
  path: string
  /** Items seen so far (sequences). */
  count: number
  /** The key whose value comes next (mappings). */
  key: string
  expectKey: boolean
  /** Expanded node count of this collection so far. */
  weight: number
  anchor?: string
}

class YamlWalkError extends Error {
  constructor (readonly rule: string, message: string, readonly offset: number, readonly path = '') { super(message) }
}

function problemAt (map: SourceMap, rule: string, message: string, offset: number, path = ''): Problem {
  return { severity: 'error', path, message, rule, ...(offset >= 0 ? map.lineColumn(offset) : {}) }
}

const COMPLEX_KEY = 'mapping keys must be plain scalars, not collections (an unquoted `{{placeholder}}` is read as a mapping with such a key; quote it or fill it in)'

function nodeOffset (event: Event): number {
  switch (event.type) {
    case EVENT_ID.SCALAR: return event.anchorStart >= 0 ? Math.min(event.anchorStart, event.valueStart) : event.valueStart
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE: return event.anchorStart >= 0 ? Math.min(event.anchorStart, event.start) : event.start
    case EVENT_ID.ALIAS: return event.anchorStart - 1
    default: return -1
  }
}

/** Offset of the second document of a stream: its `---` line, or where its content starts. */
function secondDocumentOffset (source: string, events: Event[], index: number): number {
  for (let i = index + 1; i < events.length; i++) {
    const offset = nodeOffset(events[i])
    if (offset >= 0) {
      const marker = source.lastIndexOf('---', offset)
      return marker >= 0 ? marker : offset
    }
  }
  const marker = source.lastIndexOf('---')
  return marker >= 0 ? marker : source.length
}

/**
 * One pass over the events: counts documents and adds up the expanded size of every node (an
 * alias weighs as much as what it points at), failing as soon as the total passes the cap.
 * With a `map`, it also records every field's position (a second, lazy pass: see parseYaml).
 */
function walk (source: string, events: Event[], map: SourceMap | undefined, limits: YamlLimits): void {
  const stack: Frame[] = []
  const anchors = new Map<string, number>()
  const scalarAnchors = new Map<string, string>()
  let total = 0
  let aliases = 0
  let documents = 0

  const add = (weight: number, offset: number): void => {
    total += weight
    if (total > limits.maxNodes) {
      throw new YamlWalkError('yaml-bomb', `the document expands to more than ${limits.maxNodes} nodes (too many aliases or too much data); refused`, offset)
    }
    const parent = stack.at(-1)
    if (parent != null) parent.weight += weight
  }
  /** The path of the node that starts now, or undefined when it is a mapping key. */
  const place = (): string | undefined => {
    const parent = stack.at(-1)
    if (parent == null) return ''
    if (parent.isMap) {
      if (parent.expectKey) return undefined
      parent.expectKey = true
      return map == null ? '' : childPath(parent.path, parent.key)
    }
    parent.count++
    return map == null ? '' : childPath(parent.path, parent.count - 1)
  }
  const anchorOf = (start: number, end: number): string | undefined => start >= 0 ? source.slice(start, end) : undefined

  for (let i = 0; i < events.length; i++) {
    const event = events[i]
    switch (event.type) {
      case EVENT_ID.DOCUMENT:
        if (++documents > 1) {
          throw new YamlWalkError('yaml-multi-document', 'a protocol is one YAML document, but this file holds several (a `---` separator starts another one)', secondDocumentOffset(source, events, i))
        }
        break
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const path = place()
        if (path == null) throw new YamlWalkError('yaml-key', COMPLEX_KEY, event.start, stack.at(-1)?.path)
        map?.set(path, event.start)
        const anchor = anchorOf(event.anchorStart, event.anchorEnd)
        // an alias to a collection that is still open would make a cycle
        if (anchor != null) anchors.set(anchor, Infinity)
        stack.push({ isMap: event.type === EVENT_ID.MAPPING, path, count: 0, key: '', expectKey: true, weight: 1, anchor })
        total += 1
        break
      }
      case EVENT_ID.SCALAR: {
        const parent = stack.at(-1)
        if (parent?.isMap === true && parent.expectKey) {
          parent.expectKey = false
          if (map != null) {
            parent.key = getScalarValue(source, event)
            map.set(childPath(parent.path, parent.key), nodeOffset(event))
          }
        } else {
          const path = place() as string
          map?.set(path, nodeOffset(event))
        }
        const anchor = anchorOf(event.anchorStart, event.anchorEnd)
        if (anchor != null) { anchors.set(anchor, 1); scalarAnchors.set(anchor, getScalarValue(source, event)) }
        add(1, event.valueStart)
        break
      }
      case EVENT_ID.ALIAS: {
        const offset = event.anchorStart - 1
        if (++aliases > limits.maxAliases) throw new YamlWalkError('yaml-bomb', `more than ${limits.maxAliases} aliases; refused`, offset)
        const name = source.slice(event.anchorStart, event.anchorEnd)
        const parent = stack.at(-1)
        if (parent?.isMap === true && parent.expectKey) {
          // an alias as a key: fine when it names a scalar
          const key = scalarAnchors.get(name)
          if (key == null) throw new YamlWalkError('yaml-key', COMPLEX_KEY, offset, parent.path)
          parent.key = key
          parent.expectKey = false
          map?.set(childPath(parent.path, key), offset)
          add(1, offset)
          break
        }
        const path = place() as string
        map?.set(path, offset)
        const weight = anchors.get(name) ?? 1
        if (weight === Infinity) throw new YamlWalkError('yaml-bomb', `alias *${name} refers to a collection that contains it (a cycle); refused`, offset)
        add(weight, offset)
        break
      }
      case EVENT_ID.POP: {
        const frame = stack.pop()
        if (frame == null) break
        if (frame.anchor != null) anchors.set(frame.anchor, frame.weight)
        // the collection itself was counted when it opened; pass the rest up
        const parent = stack.at(-1)
        if (parent != null) parent.weight += frame.weight
        break
      }
    }
  }
}

/** Parses one protocol document. Never throws for bad input: a problem says what is wrong. */
export function parseYaml (source: string, limits: YamlLimits): ParsedYaml {
  let events: Event[] = []
  // positions are recorded on first use only, by walking the events again
  const map = new SourceMap(source, filled => {
    try { walk(source, events, filled, limits) } catch { /* what was recorded before the failure stays */ }
  })
  try {
    events = parseEvents(source, { maxDepth: limits.maxDepth })
    walk(source, events, undefined, limits)
    const documents = constructFromEvents(events, { source, schema: PROTOCOL_YAML_SCHEMA, maxAliases: limits.maxAliases })
    if (documents.length === 0 || documents[0] == null) {
      return { ok: false, problem: { severity: 'error', path: '', message: 'the document is empty (or null); a protocol is a YAML mapping (protocolVersion, name, type, taskRoles...)', rule: 'schema', line: 1, column: 1 }, map }
    }
    return { ok: true, value: documents[0], map }
  } catch (err) {
    if (err instanceof YamlWalkError) {
      // a key that is a collection: walk again with paths to say whose key it is
      let path = err.path
      if (err.rule === 'yaml-key') {
        try { walk(source, events, new SourceMap(source), limits) } catch (again) { if (again instanceof YamlWalkError) path = again.path }
      }
      return { ok: false, problem: problemAt(map, err.rule, err.message, err.offset, path), map }
    }
    if (err instanceof YAMLException) {
      const depth = /depth/i.test(err.reason)
      const problem: Problem = {
        severity: 'error',
        path: '',
        message: depth ? `${err.reason} (nesting deeper than ${limits.maxDepth} levels is refused)` : `YAML syntax error: ${err.reason}`,
        rule: depth ? 'yaml-depth' : 'yaml-syntax'
      }
      if (err.mark != null) { problem.line = err.mark.line + 1; problem.column = err.mark.column + 1 }
      return { ok: false, problem, map }
    }
    // js-yaml may throw plain errors (e.g. a stack overflow on hostile input): still a problem
    return { ok: false, problem: { severity: 'error', path: '', message: `YAML could not be read: ${(err as Error)?.message ?? String(err)}`, rule: 'yaml-syntax' }, map }
  }
}
