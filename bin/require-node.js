// paip needs Node.js 22 or newer: say so, and how, before loading anything that would fail on an
// older one (the machine's `node` may be older than the one paip brings). Plain JavaScript that
// any Node can parse; imported first by every executable in bin/.
const MINIMUM_NODE_MAJOR = 22
const major = Number(process.versions.node.split('.')[0])
if (!(major >= MINIMUM_NODE_MAJOR)) {
  const command = process.argv[1]?.split(/[\\/]/).pop() ?? 'paip'
  process.stderr.write(
    `${command}: needs Node.js ${MINIMUM_NODE_MAJOR} or newer, but the \`node\` running it (${process.execPath}) is ${process.version}.\n` +
    `In the paip checkout, ${command === 'paip' ? '`npx paip ...` or ' : ''}\`npm run ${command} -- ...\` runs it on the Node 24 that \`npm ci\` installed;\n` +
    `elsewhere, install Node.js ${MINIMUM_NODE_MAJOR}+ (https://nodejs.org), or put the checkout's node_modules/.bin first on your PATH.\n`
  )
  process.exit(1)
}
