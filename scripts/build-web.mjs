// Builds the web portal (web/) into dist/web: one minified script (styles included) and the page.
// Runs in `npm run build` (and so in `npm ci`'s prepare step); no CDN, nothing fetched at runtime.
import { copyFile, mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
await mkdir(`${root}/dist/web`, { recursive: true })
await build({
  entryPoints: [`${root}/web/app.js`],
  outfile: `${root}/dist/web/app.js`,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  loader: { '.css': 'text' },
  legalComments: 'none',
  logLevel: 'warning'
})
await copyFile(`${root}/web/index.html`, `${root}/dist/web/index.html`)
