// The whole suite (`npm test`) in two runs of mocha over dist/test/**/*.spec.js:
// - first every file but SERIAL, two files at a time (--parallel --jobs 2: most suites wait on
//   daemons, sandboxes and the DHT rather than on the CPU), the slowest files first so that
//   the two workers end together instead of one running a long file alone at the end;
// - then, with PAIP_TEST_SERIAL=1, the SERIAL files one after another: they time what they
//   test (a stop within 3 s, a throttle's delays) or fill DHT routing tables under deadlines,
//   which another suite's load beside them would make flaky.
// PAIP_TEST_JOBS=1 runs the first part one file at a time too (to compare, or on one core).
const { readdirSync } = require('node:fs')

const spec = name => `dist/test/${name}.spec.js`

const SLOW_FIRST = [
  'fed/accuracy', 'e2e/grid', 'portal/firefox', 'fed/crash', 'fed/dropout',
  'cli/login', 'fed/cli', 'jobs/example-protocol', 'jobs/eval-cli', 'node/crash-sweep',
  'e2e/readme-walkthrough', 'portal/browser', 'jobs/container', 'jobs/runtime-node'
].map(spec)

const SERIAL = [
  'node/daemon-process', 'net/routing-fill', 'net/routing', 'users/brute-force', 'users/users',
  'protocol/safety', 'repo/bad-input', 'catalog/announce', 'marketplace/network', 'marketplace/attacks'
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
  'enable-source-maps': true,
  exit: false
}
