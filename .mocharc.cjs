// The whole suite (`npm test`) in two runs of mocha over dist/test/**/*.spec.js:
// - first every file but SERIAL, two files at a time (--parallel --jobs 2: this part's CPU
//   time about fills both cores for its wall time, a third job would only add contention), the slowest files first so that the two workers end
//   together instead of one running a long file (repo/crash was one) alone at the end;
// - then, with PAIP_TEST_SERIAL=1, the SERIAL files one after another: they time what they
//   test (a stop within 3 s, a throttle's delays) or fill DHT routing tables under deadlines,
//   which another suite's load beside them would make flaky.
// PAIP_TEST_JOBS=1 runs the first part one file at a time too (to compare, or on one core).
const { readdirSync } = require('node:fs')

const spec = name => `dist/test/${name}.spec.js`

// by their wall time in a quiet run (hooks included), longest first
const SLOW_FIRST = [
  'fed/accuracy', 'fed/dropout', 'repo/crash', 'e2e/grid', 'testbed/netns', 'portal/browser',
  'fed/crash', 'portal/firefox', 'catalog/parallel-fetch', 'e2e/readme-walkthrough', 'cli/login',
  'testbed/network', 'node/crash-sweep', 'structure/rules', 'catalog/grid',
  'bench/scale', 'algorithms/algorithms', 'api/openpai-groups', 'jobs/eval-cli', 'jobs/sandbox',
  'jobs/example-protocol', 'fed/cli', 'jobs/container', 'jobs/runtime-node'
].map(spec)

// what a neighbour's load would make flaky: a stop timed to 3 s, 25 routing tables filled under
// a deadline, a throttle's delays, a search timed against peers that never answer, DHT lookups and
// re-provides under deadlines (users/users, protocol/safety, repo/bad-input and net/routing, which
// pass two at a time on a loaded machine, run in the first part)
const SERIAL = [
  'node/daemon-process', 'net/routing-fill', 'users/brute-force', 'marketplace/attacks',
  'marketplace/network', 'catalog/announce'
].map(spec)

const all = readdirSync('dist/test', { recursive: true })
  .filter(file => file.endsWith('.spec.js'))
  .map(file => `dist/test/${file.split('\\').join('/')}`)
  .sort()
const serial = process.env.PAIP_TEST_SERIAL === '1'
const jobs = Number(process.env.PAIP_TEST_JOBS ?? 2)
const slow = SLOW_FIRST.filter(file => all.includes(file))

module.exports = {
  spec: serial
    ? SERIAL.filter(file => all.includes(file))
    : [...slow, ...all.filter(file => !slow.includes(file) && !SERIAL.includes(file))],
  parallel: !serial && jobs > 1,
  jobs,
  timeout: 30000,
  // source maps of the project's files only (not node_modules'), see test/fixtures/source-maps.ts
  require: ['dist/test/fixtures/source-maps.js'],
  exit: false
}
