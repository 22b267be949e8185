// Which build of the CLI bin/paip runs: the bundle (dist/cli/main.js, made by
// scripts/bundle-cli.mjs in `npm run build`; ~1 s less CPU per run than ~1,450 separate modules)
// when it is newer than every compiled file it was made of; else tsc's own output
// (dist/src/cli/main.js), which `tsc` alone keeps current.
// Checking costs ~300 stat calls (a few ms); PAIP_UNBUNDLED=1 always takes tsc's output.
import { readFileSync, statSync } from 'node:fs'

/** The URL of the CLI's main module in the checkout at `root` (default: this one). */
export function cliEntry (root = new URL('..', import.meta.url), env = process.env) {
  const unbundled = new URL('dist/src/cli/main.js', root).href
  if (env.PAIP_UNBUNDLED === '1') return unbundled
  const bundle = new URL('dist/cli/main.js', root)
  try {
    const built = statSync(bundle).mtimeMs
    const inputs = JSON.parse(readFileSync(new URL('inputs.json', bundle), 'utf8'))
    for (const input of inputs) {
      if (statSync(new URL(input, bundle)).mtimeMs > built) return unbundled
    }
    return bundle.href
  } catch {
    // no bundle (only tsc ran), or a file it was made of is gone
    return unbundled
  }
}
