import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseWorkflow, workflowProblems } from '../../src/workflow/index.js'
import { spawnPaip } from '../repo/child.js'
import { exampleWorkflow } from './fixtures.js'

describe('workflow: validate', function () {
  this.timeout(60_000)

  it('accepts the seed\'s example shape', () => {
    assert.deepEqual(workflowProblems(exampleWorkflow('http://127.0.0.1:1')), [])
  })

  it('reports unknown and missing fields, bad values, duplicate names and a stray entrypoint at their JSON paths', () => {
    const w: any = exampleWorkflow('ftp://nowhere')
    w.algorithms[0].colour = 'blue'
    delete w.algorithms[1].test_payload
    w.algorithms[1].language = 'cobol'
    w.algorithms[1].code_path = '/home/quality/code.tar.gz'
    w.algorithms[1].data_files = ['data://.my/../etc/passwd', 42]
    w.algorithms.push({ ...w.algorithms[0] })
    delete w.algorithms[2].colour
    w.test_info.entrypoint = 'nope'
    w.test_info.tests[0].timeout = -1
    w.extra = true
    const problems = workflowProblems(w)
    const at = (path: string): string[] => problems.filter(p => p.path === path).map(p => p.message)
    assert.match(at('/source_info/cluster_address')[0], /http/)
    assert.deepEqual(at('/algorithms/0/colour'), ['unknown field'])
    assert.deepEqual(at('/algorithms/1/test_payload'), ['required field missing'])
    assert.match(at('/algorithms/1/language')[0], /python3/)
    assert.match(at('/algorithms/1/code_path')[0], /data API path/)
    assert.match(at('/algorithms/1/data_files/0')[0], /data API path/)
    assert.equal(at('/algorithms/1/data_files/1').length, 1)
    assert.match(at('/algorithms/2/name')[0], /duplicate algorithm name "smooth_image" \(also \/algorithms\/0\/name\)/)
    assert.match(at('/test_info/entrypoint')[0], /names no algorithm/)
    assert.equal(at('/test_info/tests/0/timeout').length, 1)
    assert.deepEqual(at('/extra'), ['unknown field'])
    assert.throws(() => parseWorkflow('{"source_info": '), { name: 'InvalidWorkflowError' })
  })

  it('paip workflow validate prints each problem at its path and exits 2, or says it is valid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paip-wf-'))
    try {
      await writeFile(join(dir, 'good.json'), JSON.stringify(exampleWorkflow('http://127.0.0.1:9292')))
      const bad: any = exampleWorkflow('http://127.0.0.1:9292')
      bad.algorithms[1].name = 'smooth_image'
      await writeFile(join(dir, 'bad.json'), JSON.stringify(bad))
      const good = await spawnPaip(['workflow', 'validate', 'good.json'], dir).done
      assert.equal(good.code, 0, good.stderr)
      assert.match(good.stdout, /good\.json: valid \(2 algorithm\(s\), 2 test\(s\)\)/)
      const failed = await spawnPaip(['workflow', 'validate'], dir, 60_000, { WORKFLOW_NAME: 'bad.json' }).done
      assert.equal(failed.code, 2)
      assert.match(failed.stdout, /bad\.json: \/algorithms\/1\/name: duplicate algorithm name/)
      assert.match(failed.stdout, /bad\.json: \/test_info\/entrypoint: "image_pipeline" names no algorithm/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
