// Bundles the compiled CLI (dist/src/cli/main.js and the command groups it loads on demand) into
// dist/cli/: a handful of files instead of ~1,450 modules. Node resolves, reads and links every
// ES module on its own, and that was ~1 s of CPU in each `paip` run and daemon start (docs/
// benchmarks.md, "Daemon"). Runs in `npm run build` after tsc; bin/paip falls back to
// dist/src/cli/main.js when the bundle is missing or older than what tsc wrote since.
import { readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const outdir = path.join(root, 'dist/cli')
const source = path.join(root, 'dist/src')

/**
 * paip's own files find what lies beside them (package.json, web/) from `import.meta.url`: in
 * the bundle that is a chunk's URL, so each file's `import.meta.url` becomes its compiled
 * file's URL, computed from the chunk's own at run time (the checkout may move).
 */
const ownUrls = {
  name: 'own-import-meta-url',
  setup (b) {
    b.onLoad({ filter: /\/dist\/src\/.*\.js$/ }, async args => {
      const text = await readFile(args.path, 'utf8')
      if (!text.includes('import.meta.url')) return undefined
      const relative = path.relative(outdir, args.path).split(path.sep).join('/')
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(relative)}, import.meta.url).href`), loader: 'js' }
    })
  }
}

// chunk names carry a hash: a new build leaves none of an old one's behind
await rm(outdir, { recursive: true, force: true })
const result = await build({
  entryPoints: { main: path.join(source, 'cli/main.js') },
  outdir,
  bundle: true,
  // the command groups stay separate chunks, loaded on demand as before
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // native addons find their binaries next to their own files
  external: ['classic-level'],
  // CommonJS libraries in an ES module bundle: their `require` of Node's own modules
  banner: { js: "import { createRequire as paipCreateRequire } from 'node:module'; const require = paipCreateRequire(import.meta.url);" },
  // error and class names stay what the sources say (they reach users and logs)
  keepNames: true,
  // smaller sources in V8's heap (it keeps every loaded function's text): ~6 MiB less idle RSS
  // and less to parse; names stay, and the source maps beside (--enable-source-maps) map stacks
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  metafile: true,
  plugins: [ownUrls],
  logLevel: 'warning'
})
// what bin/paip checks the bundle against: paip's own compiled files
const inputs = Object.keys(result.metafile.inputs)
  .map(file => path.resolve(root, file))
  .filter(file => file.startsWith(source + path.sep))
  .map(file => path.relative(outdir, file).split(path.sep).join('/'))
await writeFile(path.join(outdir, 'inputs.json'), JSON.stringify(inputs) + '\n')
