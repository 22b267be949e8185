import type { Command } from 'commander'
import type { Action } from '../context.js'

type Group = () => Promise<{ register: (program: Command, action: Action) => void }>

/**
 * Every command group, one line each. A group lives in `src/cli/commands/<group>/` with one
 * file per verb and an `index.ts` exporting `register`. Groups load on demand so that
 * `paip daemon`, a long-lived process, does not hold every other command's code in memory.
 */
const GROUPS: Record<string, Group> = {
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

/** Registers every group, or only the node group when the command is `paip daemon`. */
export async function registerCommands (program: Command, action: Action, argv: readonly string[] = []): Promise<void> {
  const daemonOnly = firstWord(argv) === 'daemon'
  for (const [name, load] of Object.entries(GROUPS)) {
    if (daemonOnly && name !== 'node') continue
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
