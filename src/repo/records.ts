import { JSON_CODEC, MAX_MESSAGE_CHARS, MAX_RECORD_BYTES, RAW_CODEC } from './constants.js'
import { isRepoPath } from './paths.js'
import { cidOf, parseCid } from './store.js'

/**
 * One version of one file, as stored: a JSON block addressed by its own CID (v1, json codec,
 * sha2-256). `content` is the CID (v1, raw, sha2-256) of the file's bytes; `parent` the
 * previous version of the same file (null for the first); `seq` counts versions from 1.
 */
export interface VersionRecord {
  path: string
  content: string
  size: number
  parent: string | null
  seq: number
  author: string
  /** ISO 8601 time of the commit. */
  time: string
  message: string
}

/** A version record with its CID. */
export interface Version extends VersionRecord {
  cid: string
}

/** Encodes a record as its block (fixed key order) and gives its CID. */
export function encodeVersion (record: VersionRecord): { cid: string, bytes: Uint8Array } {
  const ordered: VersionRecord = {
    path: record.path,
    content: record.content,
    size: record.size,
    parent: record.parent,
    seq: record.seq,
    author: record.author,
    time: record.time,
    message: record.message
  }
  const bytes = new TextEncoder().encode(JSON.stringify(ordered))
  return { cid: cidOf(bytes, JSON_CODEC), bytes }
}

/**
 * Decodes a version block (its hash checked by the caller) and checks its shape; returns a
 * reason instead when it is not a well-formed version record.
 */
export function decodeVersion (cid: string, bytes: Uint8Array): Version | string {
  if (bytes.byteLength > MAX_RECORD_BYTES) return 'record too large'
  if (!parseCid(cid, JSON_CODEC)) return 'not a version CID (v1, json, sha2-256)'
  let value: any
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    return 'record is not JSON'
  }
  const problem = checkRecord(value)
  if (problem != null) return problem
  return {
    cid,
    path: value.path,
    content: value.content,
    size: value.size,
    parent: value.parent,
    seq: value.seq,
    author: value.author,
    time: value.time,
    message: value.message
  }
}

function checkRecord (value: any): string | undefined {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) return 'record is not an object'
  if (!isRepoPath(value.path)) return 'bad path'
  if (!parseCid(value.content, RAW_CODEC)) return 'bad content CID'
  if (!Number.isSafeInteger(value.size) || value.size < 0) return 'bad size'
  if (value.parent !== null && !parseCid(value.parent, JSON_CODEC)) return 'bad parent CID'
  if (!Number.isSafeInteger(value.seq) || value.seq < 1) return 'bad seq'
  if (value.parent === null && value.seq !== 1) return 'a first version must have seq 1'
  if (typeof value.author !== 'string' || value.author.length > 1000) return 'bad author'
  if (typeof value.time !== 'string' || Number.isNaN(Date.parse(value.time))) return 'bad time'
  if (typeof value.message !== 'string' || value.message.length > MAX_MESSAGE_CHARS) return 'bad message'
  return undefined
}
