import assert from 'node:assert/strict'
import { Validator } from '@seriousme/openapi-schema-validator'
import { startNode } from '../fixtures/daemon.js'
import type { TestNode } from '../fixtures/daemon.js'

describe('api: the OpenAPI document', function () {
  this.timeout(60_000)
  let a: TestNode
  before(async () => { a = await startNode() })
  after(async () => { await a?.stop() })

  it('answers /api/v1/openapi.json without a token, and it validates as OpenAPI 3', async () => {
    const response = await fetch(a.url + '/api/v1/openapi.json')
    assert.equal(response.status, 200)
    const doc: any = await response.json()
    assert.match(doc.openapi, /^3\./)
    const result = await new Validator().validate(doc)
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2)?.slice(0, 2000))
  })

  it('is generated from the routes themselves: every API route is in it, with the schemas routes declare', async () => {
    const doc: any = await (await fetch(a.url + '/api/v1/openapi.json')).json()
    for (const path of ['/repo/search/{keywords}', '/api/v1/marketplace/history', '/api/v1/jobs', '/api/v1/datasets', '/repo/auth/{user}', '/api/v1/portal']) {
      assert.ok(doc.paths[path] != null, `${path} missing from ${Object.keys(doc.paths).join(' ')}`)
    }
    // the login route's body schema is the route's own
    const login = doc.paths['/repo/auth/{user}'].post
    assert.deepEqual(login.requestBody.content['application/json'].schema.required, ['password'])
    // the portal's static files are not API
    assert.equal(doc.paths['/'], undefined)
    assert.equal(doc.paths['/plugin.js'], undefined)
  })
})
