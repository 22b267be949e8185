import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { validateProtocol } from '../../src/protocol/index.js'
import { CORPUS, describeProblems } from './helpers.js'

const valid = readdirSync(`${CORPUS}/valid`).sort()
const invalid = readdirSync(`${CORPUS}/invalid`).sort()

function read (dir: string, file: string): Uint8Array {
  return new Uint8Array(readFileSync(`${CORPUS}/${dir}/${file}`))
}

/** Where VERDICTS.md says each invalid file goes wrong: an error at this path (and line). */
interface Expected { path: string, line?: number, column?: number, rule?: string }

const marketplaceComponent: Expected[] = [
  { path: '', line: 1, rule: 'schema' }, // missing taskRoles
  { path: '/type', line: 3, rule: 'schema' },
  { path: '/uri', rule: 'schema' }
]
const oldCompletion = (role: string): Expected[] => [{ path: `/taskRoles/${role}/completion/minSucceededTaskCount`, rule: 'schema' }]

const VERDICTS: Record<string, Expected[]> = {
  'microsoft__openpai-runtime__test__docker_image_auth.yaml': [{ path: '', line: 25, rule: 'yaml-multi-document' }],
  'microsoft__openpai-runtime__test__git_repo_test_job.yaml': [{ path: '/taskRoles/worker/data', line: 12, rule: 'undeclared-prerequisite' }],
  'microsoft__openpaimarketplace__examples__item_protocols__old_templates__couplet_dataset.yaml': [
    { path: '/name', line: 2, rule: 'schema' },
    { path: '/prerequisites/1/uri', rule: 'schema' }
  ],
  'microsoft__openpaimarketplace__publish__items__protocols__cifar10-single-mul-DDP-nccl-Apex-mixed.yaml': [{ path: '', line: 5, column: 14, rule: 'yaml-syntax' }],
  'microsoft__openpaimarketplace__publish__items__protocols__cifar10-single-node-gpus-cpu-DP.yaml': [{ path: '', line: 5, column: 14, rule: 'yaml-syntax' }],
  'microsoft__pai__contrib__api-stress-test__roles__locust__config__files__job.yml': [{ path: '/name', line: 2 }],
  'microsoft__pai__docs__pai-protocal.yaml': [{ path: '', line: 16, column: 7, rule: 'yaml-syntax' }],
  'microsoft__pai__js_test__test1.yaml': [{ path: '/extras', line: 146, rule: 'schema' }],
  'microsoft__pai__js_test__test2.yaml': ['A', 'B', 'C', 'D', 'E', 'F'].map(role => ({ path: `/taskRoles/${role}`, rule: 'schema' })),
  'microsoft__pai__marketplace__data__cifar10.yaml': marketplaceComponent,
  'microsoft__pai__marketplace__dockerimage__caffe2.yaml': marketplaceComponent,
  'microsoft__pai__marketplace__dockerimage__chainer.yaml': marketplaceComponent,
  'microsoft__pai__marketplace__dockerimage__mxnet_example.yaml': marketplaceComponent,
  'microsoft__pai__marketplace__dockerimage__sklearn_example.yaml': marketplaceComponent,
  'microsoft__pai__marketplace__dockerimage__tf_example.yaml': marketplaceComponent,
  'microsoft__pai__marketplace__dockerimage__tf_serving_example.yaml': marketplaceComponent,
  'microsoft__pai__marketplace__output__tensorflow_cifar10_model.yaml': marketplaceComponent,
  'microsoft__pai__marketplace__script__tensorflow_cnnbenchmarks.yaml': marketplaceComponent,
  'microsoft__pai__protocol-marketplace__caffe-mnist.yaml': oldCompletion('train'),
  'microsoft__pai__protocol-marketplace__chainer-cifar.yaml': oldCompletion('train'),
  'microsoft__pai__protocol-marketplace__mxnet-autoencoder.yaml': oldCompletion('train'),
  'microsoft__pai__protocol-marketplace__pytorch-mnist.yaml': oldCompletion('worker'),
  'microsoft__pai__protocol-marketplace__pytorch-regression.yaml': oldCompletion('worker'),
  'microsoft__pai__protocol-marketplace__sklearn-text-vectorizers.yaml': oldCompletion('worker'),
  'microsoft__pai__protocol-marketplace__tensorflow-serving-mnist.yaml': [{ path: '/jobRetryCount', line: 26, rule: 'schema' }]
}

describe('protocol: the real-world corpus (../shared/protocols)', () => {
  it('has a verdict in this test for every invalid file', () => {
    assert.deepEqual(invalid, Object.keys(VERDICTS).sort())
    assert.ok(valid.length >= 80, `only ${valid.length} valid files`)
  })

  describe('accepts every file an OpenPAI cluster accepts', () => {
    for (const file of valid) {
      it(file, () => {
        const result = validateProtocol(read('valid', file), { file })
        assert.equal(result.ok, true, describeProblems(result))
        assert.deepEqual(result.errors, [])
        assert.equal(typeof result.protocol?.name, 'string')
      })
    }
  })

  describe('rejects every file an OpenPAI cluster rejects, at the place VERDICTS.md names', () => {
    for (const file of invalid) {
      it(file, () => {
        const result = validateProtocol(read('invalid', file), { file })
        assert.equal(result.ok, false)
        for (const expected of VERDICTS[file]) {
          const found = result.errors.find(e => e.path === expected.path &&
            (expected.rule == null || e.rule === expected.rule) &&
            (expected.line == null || e.line === expected.line) &&
            (expected.column == null || e.column === expected.column))
          assert.ok(found, `no error like ${JSON.stringify(expected)} in ${describeProblems(result)}`)
        }
        for (const error of result.errors) assert.equal(typeof error.line, 'number', `error without a line: ${JSON.stringify(error)}`)
      })
    }
  })

  it('under --strict, valid files fail only for the two spec rules the research found (numeric version, null skuType)', () => {
    let failing = 0
    for (const file of valid) {
      const result = validateProtocol(read('valid', file), { file, strict: true })
      if (!result.ok) failing++
      for (const error of result.errors) {
        assert.equal(error.rule, 'spec', `${file}: ${JSON.stringify(error)}`)
        assert.match(error.path, /(^|\/)version$|\/skuType$/, `${file}: ${JSON.stringify(error)}`)
      }
    }
    assert.ok(failing > 0)
  })

  it('gives each problem a line and column in the file', () => {
    const result = validateProtocol(read('invalid', 'microsoft__pai__protocol-marketplace__caffe-mnist.yaml'))
    const [error] = result.errors
    assert.equal(error.line, 40)
    assert.equal(error.column, 7)
  })
})
