import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import { LanguageUnavailableError } from './errors.js'

/** The languages of seed 004's workflows. */
export const LANGUAGES = ['python2', 'python3', 'pytorch', 'tensorflow-2.3', 'tensorflow-1.14'] as const
export type Language = typeof LANGUAGES[number]

/** How a language runs: the interpreter, and the container image its job names. */
export interface LanguageRuntime {
  interpreter: string
  image: string
  /** True when only a container image brings it (a framework), false when the host's interpreter does. */
  container: boolean
}

export const RUNTIMES: Record<Language, LanguageRuntime> = {
  python3: { interpreter: 'python3', image: 'docker.io/library/python:3-slim', container: false },
  python2: { interpreter: 'python2', image: 'docker.io/library/python:2.7-slim', container: false },
  pytorch: { interpreter: 'python3', image: 'docker.io/pytorch/pytorch:latest', container: true },
  'tensorflow-2.3': { interpreter: 'python3', image: 'docker.io/tensorflow/tensorflow:2.3.0', container: true },
  'tensorflow-1.14': { interpreter: 'python3', image: 'docker.io/tensorflow/tensorflow:1.14.0-py3', container: true }
}

export function isLanguage (value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value)
}

async function onHost (interpreter: string): Promise<boolean> {
  for (const dir of ['/usr/bin', '/usr/local/bin', '/bin']) {
    if (await fs.access(`${dir}/${interpreter}`, fs.constants.X_OK).then(() => true, () => false)) return true
  }
  return false
}

async function imagePresent (image: string): Promise<boolean> {
  return await new Promise(resolve => {
    execFile('podman', ['image', 'exists', image], { timeout: 15_000 }, err => { resolve(err == null) })
  })
}

/**
 * Whether this node can run a language: the host's interpreter (run in the jobs' sandbox), or
 * the framework's container image present in the local container store. Throws
 * LanguageUnavailableError saying what is missing.
 */
export async function checkLanguage (language: Language): Promise<LanguageRuntime> {
  const runtime = RUNTIMES[language]
  if (!runtime.container && await onHost(runtime.interpreter)) return runtime
  if (await imagePresent(runtime.image)) return runtime
  const what = runtime.container
    ? `the container image ${runtime.image}, which this node does not have (podman pull it on the node, or publish as python3)`
    : `${runtime.interpreter}, which this node does not have (nor the image ${runtime.image})`
  throw new LanguageUnavailableError(`${language} algorithms need ${what}`, { language, image: runtime.image })
}
