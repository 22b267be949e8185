import type { Command } from 'commander'
import type { Action } from '../context.js'

type Group = () => Promise<{ register: (program: Command, action: Action) => void }>

/**
 * Every command group, one line each. A group lives in `src/cli/commands/<group>/` with one
 * file per verb and an `index.ts` exporting `register`. Groups load on demand: a
 * command loads its own group only (`paip daemon`, a long-lived process, holds no other
 * command's code in memory, and a short `paip` run starts faster).
 */
export const GROUPS: Record<string, Group> = {
  node: async () => import('./node/index.js'),
  serve: async () => import('./serve/index.js'),
  config: async () => import('./config/index.js'),
  validate: async () => import('./validate/index.js'),
  repo: async () => import('./repo/index.js'),
  datasets: async () => import('./datasets/index.js'),
  models: async () => import('./models/index.js'),
  jobs: async () => import('./jobs/index.js'),
  fed: async () => import('./fed/index.js'),
  marketplace: async () => import('./marketplace/index.js'),
  users: async () => import('./users/index.js'),
  data: async () => import('./data/index.js'),
  algo: async () => import('./algo/index.js'),
  workflow: async () => import('./workflow/index.js')
}

/**
 * The command words each group registers at the top level. A command line whose word is here
 * loads that group alone (a `paip` run then loads none of the other groups' libraries); any
 * other line (no word, `help`, a typo that wants suggestions) loads every group.
 */
export const GROUP_WORDS: Record<string, readonly string[]> = {
  node: ['daemon', 'gc', 'id', 'peers', 'ping', 'status'],
  serve: ['serve'],
  config: ['config'],
  validate: ['validate'],
  repo: ['init', 'add', 'commit', 'log', 'show', 'diff', 'checkout', 'tag'],
  datasets: ['datasets'],
  models: ['models'],
  jobs: ['run', 'jobs', 'eval'],
  fed: ['fed'],
  marketplace: ['marketplace', 'login', 'logout', 'whoami', 'push', 'pull', 'search', 'submodule', 'import', 'export'],
  users: ['users'],
  data: ['data'],
  algo: ['algo'],
  workflow: ['workflow']
}

/** Loads and registers the group of the command word, or every group when the word names none. */
export async function registerCommands (program: Command, action: Action, argv: readonly string[] = []): Promise<void> {
  const word = firstWord(argv)
  const only = Object.keys(GROUPS).find(name => word != null && GROUP_WORDS[name]?.includes(word))
  for (const [name, load] of Object.entries(GROUPS)) {
    if (only != null && name !== only) continue
    const group = await load()
    group.register(program, action)
  }
}

/** The command word: the first argument that is neither an option nor a global option's value. */
function firstWord (argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--api' || arg === '--home') { i++; continue }
    if (!arg.startsWith('-')) return arg
  }
  return undefined
}
