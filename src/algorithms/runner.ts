import { CALL_MEMORY_MB } from './constants.js'
import type { LanguageRuntime } from './languages.js'

/**
 * What runs inside a call's job: `runner.py` loads the algorithm's entry file from `code/`,
 * calls its `apply(input)` with the payload from `input.json`, and writes `result.json`, or
 * `error.json` (`{ kind, message, stacktrace }`) and exits 1. A crash leaves neither, and the
 * caller gets the tail of what the job printed.
 */
export const RUNNER_PY = String.raw`
import importlib.util, json, os, sys, traceback
base = os.environ.get('PAIP_MODEL_DIR', os.path.dirname(os.path.abspath(__file__)))
out = os.environ.get('PAIP_OUTPUT_DIR', '.')
def fail(kind, message, stacktrace=''):
    with open(os.path.join(out, 'error.json'), 'w') as f:
        json.dump({'kind': kind, 'message': message, 'stacktrace': stacktrace[-8000:]}, f)
    sys.exit(1)
with open(os.path.join(base, 'call.json')) as f:
    call = json.load(f)
os.environ['PAIP_ALGO_DIR'] = os.path.join(base, 'code')
os.environ['PAIP_ALGO_DATA_DIR'] = os.path.join(base, 'data')
os.environ['PAIP_ALGO_OWNER'] = call['owner']
code = os.path.join(base, 'code')
for extra in (os.path.join(code, 'src'), code):
    sys.path.insert(0, extra)
try:
    with open(os.path.join(base, 'input.json')) as f:
        payload = json.load(f)
except Exception as e:
    fail('input', 'the payload is not JSON: %s' % e)
try:
    spec = importlib.util.spec_from_file_location('algorithm', os.path.join(code, call['entry']))
    module = importlib.util.module_from_spec(spec)
    sys.modules['algorithm'] = module
    spec.loader.exec_module(module)
    apply = getattr(module, call.get('function', 'apply'))
except SystemExit:
    raise
except BaseException as e:
    fail('load', 'loading %s failed: %s: %s' % (call['entry'], type(e).__name__, e), traceback.format_exc())
try:
    result = apply(payload)
except SystemExit:
    raise
except BaseException as e:
    fail('error', '%s: %s' % (type(e).__name__, e), traceback.format_exc())
try:
    text = json.dumps(result, allow_nan=False)
except (TypeError, ValueError) as e:
    fail('output', 'the algorithm returned something that is not JSON (%s): %s' % (type(result).__name__, e))
with open(os.path.join(out, 'result.json'), 'w') as f:
    f.write(text)
`.trimStart()

/** The OpenPAI protocol of one call's job. */
export function callProtocol (name: string, runtime: LanguageRuntime): string {
  const safe = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60)
  return [
    'protocolVersion: 2',
    `name: algo_${safe}`,
    'type: job',
    'prerequisites:',
    '  - name: image',
    '    type: dockerimage',
    `    uri: ${JSON.stringify(runtime.image)}`,
    'taskRoles:',
    '  main:',
    '    instances: 1',
    '    dockerImage: image',
    `    resourcePerInstance: { cpu: 1, memoryMB: ${CALL_MEMORY_MB}, gpu: 0 }`,
    '    commands:',
    `      - ${JSON.stringify(`${runtime.interpreter} "$PAIP_MODEL_DIR/runner.py"`)}`
  ].join('\n') + '\n'
}
