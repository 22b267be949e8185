import assert from 'node:assert/strict'
import { at, check, checkWith, describeProblems, minimal } from './helpers.js'
import type { ValidationResult } from '../../src/protocol/index.js'

/** Asserts the result has a schema error at exactly this path. */
function rejectsAt (result: ValidationResult, path: string, message?: RegExp): void {
  assert.equal(result.ok, false, `expected an error at ${path}`)
  const found = result.errors.filter(e => e.path === path)
  assert.ok(found.length > 0, `no error at ${path}: ${describeProblems(result)}`)
  if (message != null) assert.ok(found.some(e => message.test(e.message)), `no error matching ${String(message)} at ${path}: ${describeProblems(result)}`)
}

function accepts (result: ValidationResult): void {
  assert.equal(result.ok, true, describeProblems(result))
}

describe('protocol: the shape OpenPAI\'s server enforces', () => {
  it('accepts a minimal job', () => {
    const result = check(minimal())
    accepts(result)
    assert.deepEqual(result.warnings, [])
  })

  describe('top level', () => {
    it('requires protocolVersion, name, type and taskRoles', () => {
      for (const field of ['protocolVersion', 'name', 'type', 'taskRoles']) {
        rejectsAt(checkWith(d => { delete d[field] }), '', new RegExp(`\`${field}\``))
      }
    })
    it('takes protocolVersion 2 or "2" (and 2.0), nothing else', () => {
      accepts(checkWith(d => { d.protocolVersion = '2' }))
      accepts(check('protocolVersion: 2.0\n' + dumpRest()))
      rejectsAt(checkWith(d => { d.protocolVersion = 1 }), '/protocolVersion')
      rejectsAt(checkWith(d => { d.protocolVersion = '2.0' }), '/protocolVersion')
    })
    it('takes job names of letters, digits, `_` and `-`, at most 255 characters', () => {
      accepts(checkWith(d => { d.name = 'My_job-2' }))
      rejectsAt(checkWith(d => { d.name = 'my job' }), '/name', /does not match/)
      rejectsAt(checkWith(d => { d.name = 'a.b' }), '/name')
      rejectsAt(checkWith(d => { d.name = '' }), '/name')
      rejectsAt(checkWith(d => { d.name = 'x'.repeat(256) }), '/name', /255/)
      accepts(checkWith(d => { d.name = 'x'.repeat(255) }))
      rejectsAt(checkWith(d => { d.name = 42 }), '/name', /string/)
    })
    it('takes only type `job` (old standalone prerequisite files are not jobs)', () => {
      rejectsAt(checkWith(d => { d.type = 'dockerimage' }), '/type', /"job"/)
    })
    it('takes a string or number version, not a date', () => {
      accepts(checkWith(d => { d.version = '1.0' }))
      accepts(checkWith(d => { d.version = 1.5 }))
      rejectsAt(check('protocolVersion: 2\n' + dumpRest() + 'version: 2020-01-01\n'), '/version', /date/)
    })
    it('refuses unknown top-level fields (a `hivedScheduler:` that belongs under extras)', () => {
      rejectsAt(checkWith(d => { d.hivedScheduler = { jobPriorityClass: 'prod' } }), '/hivedScheduler', /unknown field/)
    })
    it('needs jobRetryCount to be an integer of at least 0', () => {
      accepts(checkWith(d => { d.jobRetryCount = 3 }))
      rejectsAt(checkWith(d => { d.jobRetryCount = -2 }), '/jobRetryCount', /at least 0/)
      rejectsAt(checkWith(d => { d.jobRetryCount = 1.5 }), '/jobRetryCount', /integer/)
    })
    it('needs parameters, secrets, defaults and extras to be mappings (a bare `extras:` is null)', () => {
      for (const field of ['parameters', 'secrets', 'defaults', 'extras']) {
        rejectsAt(checkWith(d => { d[field] = null }), `/${field}`, /mapping, not null/)
        rejectsAt(checkWith(d => { d[field] = ['x'] }), `/${field}`, /mapping/)
        accepts(checkWith(d => { d[field] = { anything: { goes: [1] } } }))
      }
    })
    it('refuses a document that is not a mapping', () => {
      rejectsAt(check('- a\n- b\n'), '', /mapping/)
      rejectsAt(check('just text\n'), '', /mapping/)
    })
  })

  describe('taskRoles', () => {
    it('must be a non-empty mapping', () => {
      rejectsAt(checkWith(d => { d.taskRoles = {} }), '/taskRoles', /at least 1/)
      rejectsAt(checkWith(d => { d.taskRoles = 'train' }), '/taskRoles', /mapping/)
    })
    it('are named like C identifiers', () => {
      accepts(checkWith(d => { d.taskRoles._Worker_2 = d.taskRoles.train }))
      rejectsAt(checkWith(d => { d.taskRoles['2nd'] = d.taskRoles.train }), '/taskRoles/2nd', /not a valid name/)
      rejectsAt(checkWith(d => { d.taskRoles['a-b'] = d.taskRoles.train }), '/taskRoles/a-b')
    })
    it('require dockerImage, resourcePerInstance and commands', () => {
      for (const field of ['dockerImage', 'resourcePerInstance', 'commands']) {
        rejectsAt(checkWith(d => { delete d.taskRoles.train[field] }), '/taskRoles/train', new RegExp(`\`${field}\``))
      }
    })
    it('refuse unknown fields', () => {
      rejectsAt(checkWith(d => { d.taskRoles.train.memory = 4 }), '/taskRoles/train/memory', /unknown field/)
    })
    it('need instances to be an integer of at least 1', () => {
      rejectsAt(checkWith(d => { d.taskRoles.train.instances = 0 }), '/taskRoles/train/instances', /at least 1/)
      rejectsAt(checkWith(d => { d.taskRoles.train.instances = '2' }), '/taskRoles/train/instances', /integer/)
    })
    it('take completion with only minFailedInstances and minSucceededInstances, integers or null', () => {
      accepts(checkWith(d => { d.taskRoles.train.completion = { minFailedInstances: 1, minSucceededInstances: -1 } }))
      accepts(checkWith(d => { d.taskRoles.train.completion = { minFailedInstances: null } }))
      rejectsAt(checkWith(d => { d.taskRoles.train.completion = { minSucceededTaskCount: 1 } }), '/taskRoles/train/completion/minSucceededTaskCount')
      rejectsAt(checkWith(d => { d.taskRoles.train.completion = { minFailedInstances: 'one' } }), '/taskRoles/train/completion/minFailedInstances')
    })
    it('take any integer taskRetryCount', () => {
      accepts(checkWith(d => { d.taskRoles.train.taskRetryCount = 2 }))
      rejectsAt(checkWith(d => { d.taskRoles.train.taskRetryCount = 'x' }), '/taskRoles/train/taskRetryCount')
    })
    it('need integer cpu, memoryMB and gpu, and nothing else but ports', () => {
      for (const field of ['cpu', 'memoryMB', 'gpu']) {
        rejectsAt(checkWith(d => { delete d.taskRoles.train.resourcePerInstance[field] }), '/taskRoles/train/resourcePerInstance', new RegExp(field))
        rejectsAt(checkWith(d => { d.taskRoles.train.resourcePerInstance[field] = 0.5 }), `/taskRoles/train/resourcePerInstance/${field}`, /integer/)
      }
      rejectsAt(checkWith(d => { d.taskRoles.train.resourcePerInstance.disk = 1 }), '/taskRoles/train/resourcePerInstance/disk')
    })
    it('take ports as a non-empty map of labels to counts', () => {
      accepts(checkWith(d => { d.taskRoles.train.resourcePerInstance.ports = { http: 1, ssh_2: 2 } }))
      rejectsAt(checkWith(d => { d.taskRoles.train.resourcePerInstance.ports = {} }), '/taskRoles/train/resourcePerInstance/ports')
      rejectsAt(checkWith(d => { d.taskRoles.train.resourcePerInstance.ports = { 'tensor-board': 1 } }), '/taskRoles/train/resourcePerInstance/ports/tensor-board')
      rejectsAt(checkWith(d => { d.taskRoles.train.resourcePerInstance.ports = { http: '80' } }), '/taskRoles/train/resourcePerInstance/ports/http')
    })
    it('need commands to be a non-empty list of strings', () => {
      rejectsAt(checkWith(d => { d.taskRoles.train.commands = [] }), '/taskRoles/train/commands', /at least 1/)
      rejectsAt(checkWith(d => { d.taskRoles.train.commands = 'python train.py' }), '/taskRoles/train/commands', /list/)
      rejectsAt(checkWith(d => { d.taskRoles.train.commands = ['ok', 3] }), '/taskRoles/train/commands/1', /string/)
    })
    it('accept any key in extraContainerOptions (as pai does), but an integer shmMB', () => {
      accepts(checkWith(d => { d.taskRoles.train.extraContainerOptions = { shmMB: 1024, infiniband: true, other: 1 } }))
      rejectsAt(checkWith(d => { d.taskRoles.train.extraContainerOptions = { shmMB: 'big' } }), '/taskRoles/train/extraContainerOptions/shmMB')
    })
    it('take a list of prerequisite names', () => {
      rejectsAt(checkWith(d => { d.taskRoles.train.prerequisites = 'image' }), '/taskRoles/train/prerequisites')
    })
  })

  describe('prerequisites', () => {
    it('is a non-empty list when present', () => {
      rejectsAt(checkWith(d => { d.prerequisites = [] }), '/prerequisites', /at least 1/)
    })
    it('needs a name and a known type on each item', () => {
      rejectsAt(checkWith(d => { delete d.prerequisites[0].name }), '/prerequisites/0', /`name`/)
      rejectsAt(checkWith(d => { d.prerequisites.push({ name: 'x', type: 'model' }) }), '/prerequisites/1/type', /"dockerimage"/)
      rejectsAt(checkWith(d => { d.prerequisites.push({ name: 'bad name', type: 'data' }) }), '/prerequisites/1/name')
    })
    it('needs a uri on a docker image, takes auth, and refuses other keys there', () => {
      rejectsAt(checkWith(d => { delete d.prerequisites[0].uri }), '/prerequisites/0', /`uri`/)
      accepts(checkWith(d => { d.prerequisites[0].auth = { username: 'u', password: 'p', registryuri: 'r' } }))
      rejectsAt(checkWith(d => { d.prerequisites[0].plugin = 'x' }), '/prerequisites/0/plugin', /unknown field/)
      rejectsAt(checkWith(d => { d.prerequisites[0].auth = { username: 1 } }), '/prerequisites/0/auth/username')
    })
    it('takes a list of strings as a data uri, and refuses a string', () => {
      accepts(checkWith(d => { d.prerequisites.push({ name: 'mnist', type: 'data', uri: ['https://example.org/mnist'] }) }))
      accepts(checkWith(d => { d.prerequisites.push({ name: 'mnist', type: 'data', uri: [] }) }))
      rejectsAt(checkWith(d => { d.prerequisites.push({ name: 'mnist', type: 'data', uri: 'https://example.org/mnist' }) }), '/prerequisites/1/uri', /list/)
    })
    it('takes a string uri on scripts and outputs, optional, with extra keys (plugins)', () => {
      accepts(checkWith(d => {
        d.prerequisites.push({ name: 'code', type: 'script', uri: 'https://example.org/code.git' })
        d.prerequisites.push({ name: 'out', type: 'output' })
        d.prerequisites.push({ name: 'cb', type: 'script', plugin: 'com.microsoft.pai.runtimeplugin.cmd', callbacks: [{ event: 'taskStarts', commands: ['echo hi'] }] })
      }))
      rejectsAt(checkWith(d => { d.prerequisites.push({ name: 'code', type: 'script', uri: ['a'] }) }), '/prerequisites/1/uri', /string/)
    })
  })

  describe('deployments and defaults', () => {
    const withDeployment = (d: any): void => {
      d.deployments = [{ name: 'prod', taskRoles: { train: { preCommands: ['echo pre'], postCommands: ['echo post'] } } }]
      d.defaults = { deployment: 'prod', virtualCluster: 'default' }
    }
    it('accepts deployments with pre and post commands', () => {
      accepts(checkWith(withDeployment))
    })
    it('needs a name and non-empty taskRoles on each deployment', () => {
      rejectsAt(checkWith(d => { withDeployment(d); delete d.deployments[0].taskRoles }), '/deployments/0', /taskRoles/)
      rejectsAt(checkWith(d => { withDeployment(d); d.deployments[0].taskRoles = {} }), '/deployments/0/taskRoles')
      rejectsAt(checkWith(d => { withDeployment(d); d.deployments[0].name = 'a b' }), '/deployments/0/name')
    })
    it('takes only non-empty preCommands and postCommands in a deployment role', () => {
      rejectsAt(checkWith(d => { withDeployment(d); d.deployments[0].taskRoles.train.preCommands = [] }), '/deployments/0/taskRoles/train/preCommands')
      rejectsAt(checkWith(d => { withDeployment(d); d.deployments[0].taskRoles.train.commands = ['x'] }), '/deployments/0/taskRoles/train/commands')
    })
    it('needs defaults.deployment to be a string', () => {
      rejectsAt(checkWith(d => { d.defaults = { deployment: 3 } }), '/defaults/deployment')
    })
  })

  it('reports every problem at once, each with its line', () => {
    const result = check([
      'protocolVersion: 3',
      'name: bad name',
      'type: job',
      'taskRoles:',
      '  train:',
      '    dockerImage: image',
      '    resourcePerInstance: {cpu: 1, memoryMB: 1, gpu: 0}',
      '    commands: []',
      ''
    ].join('\n'))
    assert.deepEqual(result.errors.map(e => [e.path, e.line, e.column]), [
      ['/protocolVersion', 1, 1],
      ['/name', 2, 1],
      ['/taskRoles/train/dockerImage', 6, 5],
      ['/taskRoles/train/commands', 8, 5]
    ])
    assert.equal(at(result, '/taskRoles/train/dockerImage')[0].rule, 'undeclared-prerequisite')
  })
})

/** The minimal protocol as YAML without its first line (protocolVersion). */
function dumpRest (): string {
  return [
    'name: mnist',
    'type: job',
    'prerequisites:',
    '  - {name: image, type: dockerimage, uri: python}',
    'taskRoles:',
    '  train:',
    '    dockerImage: image',
    '    resourcePerInstance: {cpu: 1, memoryMB: 1024, gpu: 0}',
    '    commands: [python train.py]',
    ''
  ].join('\n')
}
