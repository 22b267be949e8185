import assert from 'node:assert/strict'
import { parseTags, parseTerms, validateMetadata } from '../../src/catalog/index.js'

describe('catalog: metadata', () => {
  it('stores tags in lower case: #MNIST becomes #mnist', () => {
    assert.deepEqual(parseTags('#MNIST,#digits #Boston-Housing'), ['#mnist', '#digits', '#boston-housing'])
    const meta = validateMetadata('dataset', { name: 'mnist', tags: ['#MNIST'], public: true })
    assert.deepEqual(meta.tags, ['#mnist'])
  })

  it('rejects malformed tags', () => {
    for (const bad of ['mnist', '#', '#bad tag', '#under_score', '#-lead', '#trail-', '#ünïcode', `#${'a'.repeat(80)}`]) {
      assert.throws(() => validateMetadata('dataset', { name: 'x', tags: [bad] }), { name: 'InvalidTagError' }, bad)
    }
  })

  it('rejects a dataset without a name, naming the missing field', () => {
    assert.throws(() => validateMetadata('dataset', { tags: ['#a'] }), (err: any) =>
      err.name === 'InvalidMetadataError' && err.problems.includes('dataset.name: required'))
  })

  it('rejects a model without framework or task', () => {
    assert.throws(() => validateMetadata('model', { name: 'vit', tags: [] }), (err: any) =>
      err.name === 'InvalidMetadataError' &&
      err.problems.includes('model.framework: required') && err.problems.includes('model.task: required'))
  })

  it('rejects unknown fields and bad values', () => {
    assert.throws(() => validateMetadata('dataset', { name: 'x', tags: [], colour: 'red' }), (err: any) =>
      err.name === 'InvalidMetadataError' && err.problems.includes('dataset.colour: unknown field'))
    assert.throws(() => validateMetadata('dataset', { name: '../etc', tags: [] }), { name: 'InvalidMetadataError' })
    assert.throws(() => validateMetadata('dataset', { name: 'x', tags: [], public: 'yes' }), { name: 'InvalidMetadataError' })
  })

  it('accepts a model with what an evaluation needs', () => {
    const meta = validateMetadata('model', { name: 'vit-base', tags: ['#vision'], framework: 'transformers', task: 'image-classification', inputFormat: 'png', labels: ['cat', 'dog'], entrypoint: 'model.safetensors' })
    assert.equal((meta as any).framework, 'transformers')
  })

  it('refuses an empty search and one with 1,000 tags', () => {
    assert.throws(() => parseTerms([]), { name: 'InvalidQueryError' })
    assert.throws(() => parseTerms(['']), { name: 'InvalidQueryError' })
    assert.throws(() => parseTerms(Array.from({ length: 1000 }, (_, i) => `#tag${i}`)), { name: 'InvalidQueryError' })
    assert.throws(() => parseTerms(['#Bad Tag!']), (err: any) => err.name === 'InvalidTagError' || err.name === 'InvalidQueryError')
  })
})
