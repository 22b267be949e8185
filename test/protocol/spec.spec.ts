import assert from 'node:assert/strict'
import { at, checkWith } from './helpers.js'

describe('protocol: the published spec\'s stricter rules (warnings, errors under strict)', () => {
  const cases: Array<[string, (d: any) => void, string]> = [
    ['a numeric version', d => { d.version = 1.0 }, '/version'],
    ['a numeric prerequisite version', d => { d.prerequisites[0].version = 2 }, '/prerequisites/0/version'],
    ['no prerequisites', d => { delete d.prerequisites; d.taskRoles.train.dockerImage = 'x' }, ''],
    ['a negative taskRetryCount', d => { d.taskRoles.train.taskRetryCount = -1 }, '/taskRoles/train/taskRetryCount'],
    ['a null completion count', d => { d.taskRoles.train.completion = { minFailedInstances: null } }, '/taskRoles/train/completion/minFailedInstances'],
    ['an empty data uri list', d => { d.prerequisites.push({ name: 'x', type: 'data', uri: [] }) }, '/prerequisites/1/uri'],
    ['a null hived skuType', d => { d.extras = { hivedScheduler: { taskRoles: { train: { skuType: null } } } } }, '/extras/hivedScheduler/taskRoles/train/skuType'],
    ['a non-boolean infiniband', d => { d.taskRoles.train.extraContainerOptions = { infiniband: 'yes' } }, '/taskRoles/train/extraContainerOptions/infiniband']
  ]
  for (const [what, change, path] of cases) {
    it(`warns about ${what}, and refuses it under strict`, () => {
      const lenient = checkWith(change)
      const spec = at(lenient, path).filter(p => p.rule === 'spec')
      assert.equal(spec.length, 1, JSON.stringify(lenient))
      assert.equal(spec[0].severity, 'warning')
      const strict = checkWith(change, { strict: true })
      assert.equal(strict.ok, false)
      assert.ok(strict.errors.some(e => e.rule === 'spec' && e.path === path))
    })
  }

  describe('hived scheduler checks (warnings: only hived clusters run them)', () => {
    it('warns about a priority class hived does not know (the spec\'s `crit`)', () => {
      const result = checkWith(d => { d.extras = { hivedScheduler: { jobPriorityClass: 'crit' } } })
      assert.equal(result.ok, true)
      assert.equal(at(result, '/extras/hivedScheduler/jobPriorityClass')[0]?.rule, 'hived')
    })
    it('warns about hived task roles that do not exist, and skuType with pinnedCellId', () => {
      const result = checkWith(d => { d.extras = { hivedScheduler: { taskRoles: { ghost: { skuType: 'K80' }, train: { skuType: 'K80', pinnedCellId: 'c1' } } } } })
      assert.equal(result.ok, true)
      assert.equal(at(result, '/extras/hivedScheduler/taskRoles/ghost')[0]?.rule, 'hived')
      assert.match(at(result, '/extras/hivedScheduler/taskRoles/train')[0]?.message, /cannot both be set/)
      assert.equal(checkWith(d => { d.extras = { hivedScheduler: { taskRoles: { ghost: {} } } } }, { strict: true }).ok, true)
    })
  })
})
