import assert from 'node:assert/strict'
import { at, checkWith, describeProblems } from './helpers.js'

describe('protocol: cross-references OpenPAI checks after its schema', () => {
  it('refuses two prerequisites with the same type and name', () => {
    const result = checkWith(d => { d.prerequisites.push({ name: 'image', type: 'dockerimage', uri: 'other' }) })
    assert.equal(result.ok, false)
    const [error] = at(result, '/prerequisites/1/name')
    assert.equal(error.rule, 'duplicate-prerequisite')
    assert.match(error.message, /first declared at \/prerequisites\/0/)
  })

  it('allows the same name under two types (pai\'s own test does)', () => {
    const result = checkWith(d => { d.prerequisites.push({ name: 'image', type: 'script', uri: 'https://example.org/x.git' }) })
    assert.equal(result.ok, true, describeProblems(result))
  })

  it('refuses two deployments with the same name', () => {
    const result = checkWith(d => {
      d.deployments = [{ name: 'a', taskRoles: { train: { preCommands: ['x'] } } }, { name: 'a', taskRoles: { train: { preCommands: ['y'] } } }]
    })
    assert.equal(at(result, '/deployments/1/name')[0]?.rule, 'duplicate-deployment')
  })

  it('refuses a dockerImage that names no docker image prerequisite, saying what the name is', () => {
    const missing = checkWith(d => { d.taskRoles.train.dockerImage = 'nope' })
    assert.equal(at(missing, '/taskRoles/train/dockerImage')[0]?.rule, 'undeclared-prerequisite')
    const wrongType = checkWith(d => {
      d.prerequisites.push({ name: 'code', type: 'script' })
      d.taskRoles.train.dockerImage = 'code'
    })
    assert.match(at(wrongType, '/taskRoles/train/dockerImage')[0].message, /`code` is a script prerequisite/)
  })

  it('refuses data, output and script names that are not prerequisites of that type', () => {
    for (const field of ['data', 'output', 'script']) {
      const result = checkWith(d => { d.taskRoles.train[field] = 'ghost' })
      assert.equal(result.ok, false)
      assert.equal(at(result, `/taskRoles/train/${field}`)[0]?.rule, 'undeclared-prerequisite')
    }
    const ok = checkWith(d => {
      d.prerequisites.push({ name: 'mnist', type: 'data', uri: ['https://example.org/mnist'] }, { name: 'out', type: 'output' }, { name: 'code', type: 'script' })
      Object.assign(d.taskRoles.train, { data: 'mnist', output: 'out', script: 'code' })
    })
    assert.equal(ok.ok, true, describeProblems(ok))
  })

  it('refuses a task role prerequisites entry that names no prerequisite', () => {
    const result = checkWith(d => { d.taskRoles.train.prerequisites = ['image', 'ghost'] })
    assert.equal(at(result, '/taskRoles/train/prerequisites/1')[0]?.rule, 'undeclared-prerequisite')
    assert.equal(at(result, '/taskRoles/train/prerequisites/0').length, 0)
  })

  it('refuses a default deployment that does not exist', () => {
    const result = checkWith(d => {
      d.deployments = [{ name: 'a', taskRoles: { train: { preCommands: ['x'] } } }]
      d.defaults = { deployment: 'b' }
    })
    assert.equal(at(result, '/defaults/deployment')[0]?.rule, 'undeclared-deployment')
  })

  it('warns about deployment entries for task roles that do not exist (OpenPAI ignores them)', () => {
    const result = checkWith(d => { d.deployments = [{ name: 'a', taskRoles: { ghost: { preCommands: ['x'] } } }] })
    assert.equal(result.ok, true)
    assert.equal(at(result, '/deployments/0/taskRoles/ghost')[0]?.rule, 'unknown-task-role')
  })

  it('reports reference errors even when the schema also fails', () => {
    const result = checkWith(d => { d.name = 'bad name'; d.taskRoles.train.dockerImage = 'ghost' })
    assert.deepEqual(result.errors.map(e => e.rule).sort(), ['schema', 'undeclared-prerequisite'])
  })
})
