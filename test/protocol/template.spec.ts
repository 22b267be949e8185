import assert from 'node:assert/strict'
import { parseTemplate, renderTaskRoleCommands, renderTemplate, parseProtocol } from '../../src/protocol/index.js'
import { at, check, checkWith, describeProblems, minimal } from './helpers.js'
import { dump } from 'js-yaml'

describe('protocol: template tags (<% $parameters.x %>)', () => {
  describe('renderTemplate, as OpenPAI renders', () => {
    it('replaces parameters, without HTML escaping', () => {
      assert.equal(renderTemplate('echo <%$parameters.a%> <% $parameters.b %>', { parameters: { a: '<b>&', b: 3 } }), 'echo <b>& 3')
    })
    it('prints 0 and false, and keeps null or missing references as tags', () => {
      assert.equal(renderTemplate('<% $parameters.z %> <% $parameters.f %> <% $parameters.n %> <% $parameters.missing %>', { parameters: { z: 0, f: false, n: null } }),
        '0 false <% $parameters.n %> <% $parameters.missing %>')
    })
    it('indexes lists with [N] and keeps an unresolved one rewritten to .N', () => {
      assert.equal(renderTemplate('git clone <% $data.uri[0] %>', { data: { uri: ['https://example.org/a.git'] } }), 'git clone https://example.org/a.git')
      assert.equal(renderTemplate('<% $data.uri[1] %>', { data: { uri: [] } }), '<% $data.uri.1 %>')
    })
    it('keeps $secrets tags unless secrets are given', () => {
      assert.equal(renderTemplate('login -p <% $secrets.pw %>', { parameters: {} }), 'login -p <% $secrets.pw %>')
      assert.equal(renderTemplate('login -p <% $secrets.pw %>', { secrets: { pw: 'hunter2' } }), 'login -p hunter2')
    })
    it('drops sections, comments and other special tags with what sections hold', () => {
      assert.equal(renderTemplate('a<% #s %>x<% /s %>b<% ! note %>c', {}), 'abc')
    })
    it('does not look names up through prototypes', () => {
      assert.equal(renderTemplate('<% $parameters.constructor %>', { parameters: {} }), '<% $parameters.constructor %>')
    })
    it('throws TemplateSyntaxError for an unclosed tag or an unbalanced section', () => {
      for (const bad of ['<%$x', 'echo <% $parameters.a', '<% #s %>x', '<% /s %>', '<% #a %><% /b %>']) {
        assert.throws(() => renderTemplate(bad, {}), (err: any) => err.name === 'TemplateSyntaxError', bad)
      }
    })
    it('tokenizes with offsets', () => {
      assert.deepEqual(parseTemplate('a <% $p.x %>').map(t => [t.type, t.value, t.start, t.end]), [['text', 'a ', 0, 2], ['name', '$p.x', 2, 12]])
    })
  })

  describe('checks in a protocol', () => {
    it('is an error for a malformed tag, at the command that holds it', () => {
      const result = checkWith(d => { d.taskRoles.train.commands.push('python train.py --lr <% $parameters.lr') })
      assert.equal(result.ok, false)
      const [error] = at(result, '/taskRoles/train/commands/1')
      assert.equal(error.rule, 'template-syntax')
      assert.equal(typeof error.line, 'number')
    })
    it('is an error for an unbalanced section in deployment commands and docker auth', () => {
      const result = checkWith(d => {
        d.deployments = [{ name: 'a', taskRoles: { train: { preCommands: ['<% #x %>'] } } }]
        d.prerequisites[0].auth = { password: '<% /x %>' }
      })
      assert.equal(at(result, '/deployments/0/taskRoles/train/preCommands/0')[0]?.rule, 'template-syntax')
      assert.equal(at(result, '/prerequisites/0/auth/password')[0]?.rule, 'template-syntax')
    })
    it('warns (not errs) about undeclared parameters and secrets: OpenPAI keeps them unresolved', () => {
      const result = checkWith(d => {
        d.parameters = { epochs: 10 }
        d.secrets = { token: 'x' }
        d.taskRoles.train.commands = ['python train.py --epochs <% $parameters.epochs %> --lr <% $parameters.lr %> --key <% $secrets.token %> <% $secrets.other %>']
      })
      assert.equal(result.ok, true, describeProblems(result))
      assert.deepEqual(result.warnings.map(w => w.rule), ['undeclared-parameter', 'undeclared-secret'])
      assert.match(result.warnings[0].message, /`lr` is not declared/)
    })
    it('warns about $data, $output and $script in a role that selects none', () => {
      const result = checkWith(d => { d.taskRoles.train.commands = ['cp -r <% $data.uri[0] %> <% $output.uri %>'] })
      assert.equal(result.ok, true)
      assert.deepEqual(result.warnings.map(w => w.rule), ['undeclared-reference', 'undeclared-reference'])
    })
    it('resolves $data against the data prerequisite the role selects', () => {
      const result = checkWith(d => {
        d.prerequisites.push({ name: 'mnist', type: 'data', uri: ['https://example.org/mnist'] })
        d.taskRoles.train.data = 'mnist'
        d.taskRoles.train.commands = ['wget <% $data.uri[0] %>', 'echo <% $data.name %>', 'echo <% $data.uri[3] %>']
      })
      assert.equal(result.ok, true)
      assert.deepEqual(result.warnings.map(w => w.path), ['/taskRoles/train/commands/2'])
    })
    it('warns about tags OpenPAI drops and unknown variables', () => {
      const result = checkWith(d => { d.taskRoles.train.commands = ['echo <% #x %>y<% /x %> <% $env.HOME %> <% name %>'] })
      assert.equal(result.ok, true)
      assert.deepEqual(result.warnings.map(w => w.rule), ['template-tag', 'undeclared-reference', 'undeclared-reference'])
    })
    it('renders docker auth with $secrets only', () => {
      const result = checkWith(d => { d.parameters = { u: 'x' }; d.prerequisites[0].auth = { username: '<% $parameters.u %>' } })
      assert.equal(at(result, '/prerequisites/0/auth/username')[0]?.rule, 'undeclared-reference')
    })
    it('leaves descriptions alone (markdown may show tags)', () => {
      const result = checkWith(d => { d.description = 'use `<% $parameters.x` in commands' })
      assert.deepEqual(result.warnings, [])
      assert.equal(result.ok, true)
    })
  })

  describe('renderTaskRoleCommands', () => {
    it('builds the entrypoint as OpenPAI does: deployment pre/post commands, trimmed, joined, rendered', () => {
      const doc = minimal()
      doc.parameters = { epochs: 3 }
      doc.prerequisites.push({ name: 'mnist', type: 'data', uri: ['https://example.org/mnist.tgz'] })
      doc.taskRoles.train.data = 'mnist'
      doc.taskRoles.train.commands = ['  wget <% $data.uri[0] %>  ', 'python train.py --epochs <% $parameters.epochs %> --key <% $secrets.key %>']
      doc.deployments = [{ name: 'gpu', taskRoles: { train: { preCommands: ['nvidia-smi'], postCommands: ['echo done'] } } }]
      doc.defaults = { deployment: 'gpu' }
      const protocol = parseProtocol(dump(doc))
      assert.equal(renderTaskRoleCommands(protocol, 'train'),
        'nvidia-smi\nwget https://example.org/mnist.tgz\npython train.py --epochs 3 --key <% $secrets.key %>\necho done')
      assert.equal(renderTaskRoleCommands(protocol, 'train', { parameters: { epochs: 9 }, secrets: { key: 'k' } }).split('\n')[2], 'python train.py --epochs 9 --key k')
      assert.throws(() => renderTaskRoleCommands(protocol, 'nope'), { name: 'NotFoundError' })
      assert.throws(() => renderTaskRoleCommands(protocol, 'train', { deployment: 'cpu' }), { name: 'NotFoundError' })
    })
    it('is used on validated protocols: parseProtocol throws ProtocolInvalidError with the problems', () => {
      assert.throws(() => parseProtocol('name: x\n'), (err: any) => {
        assert.equal(err.name, 'ProtocolInvalidError')
        assert.equal(err.kind, 'invalid-input')
        assert.ok(err.problems.length >= 3)
        return true
      })
    })
  })
})

describe('protocol: template problems point at the tag itself', () => {
  it('gives the line and column of the tag inside a multi-line block of commands', () => {
    const text = [
      'protocolVersion: 2',
      'name: lines',
      'type: job',
      'prerequisites: [{name: image, type: dockerimage, uri: python}]',
      'parameters: {epochs: 1}',
      'taskRoles:',
      '  train:',
      '    dockerImage: image',
      '    resourcePerInstance: {cpu: 1, memoryMB: 512, gpu: 0}',
      '    commands:',
      '      - |',
      '        echo <% $parameters.epochs %>',
      '        python train.py \\',
      '          --lr <% $parameters.lr %>',
      '      - echo <% $parameters.oops',
      ''
    ].join('\n')
    const result = check(text)
    const [warning] = result.warnings
    assert.equal(warning.rule, 'undeclared-parameter')
    assert.deepEqual([warning.line, warning.column], [14, 16])
    const [error] = result.errors
    assert.equal(error.rule, 'template-syntax')
    assert.deepEqual([error.line, error.column], [15, 14])
  })
})
