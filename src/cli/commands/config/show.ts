import { dump } from 'js-yaml'
import { loadConfig, redactConfig } from '../../../node/config.js'
import { resolveHome } from '../../../node/home.js'
import type { Command } from 'commander'
import type { Action } from '../../context.js'

export function registerShow (config: Command, action: Action): void {
  config
    .command('show')
    .description('print the effective config (defaults, <home>/config.yaml, PAIP_* env) and where each value came from; no node needed')
    .addHelpText('after', '\nExample:\n  $ PAIP_API_PORT=9393 paip config show --home ./node1')
    .action(action(async ctx => {
      const home = resolveHome({ home: ctx.globals.home, env: ctx.io.env, cwd: ctx.io.cwd })
      const loaded = await loadConfig({ home, env: ctx.io.env })
      for (const warning of loaded.warnings) ctx.io.stderr(`paip: warning: ${warning}\n`)
      const config = redactConfig(loaded.config)
      const changed = Object.entries(loaded.sources).filter(([, source]) => source !== 'default')
      return {
        data: { home, config, sources: loaded.sources, warnings: loaded.warnings },
        text: [
          `# node home: ${home}`,
          ...(changed.length === 0 ? ['# all values are the defaults'] : changed.map(([path, source]) => `# ${path} from ${source}`)),
          dump(config).trimEnd()
        ]
      }
    }))
}
