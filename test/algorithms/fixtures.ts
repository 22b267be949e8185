import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import * as tar from 'tar'
import { createApiClient } from '../../src/client/index.js'
import type { ApiClient } from '../../src/client/index.js'
import type { TestNode } from '../fixtures/daemon.js'

/** A tar.gz of `files` (path → text), written in a fresh temp directory. */
export async function makeTarball (files: Record<string, string>, name = 'code.tar.gz'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'paip-algo-src-'))
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, 'src-tree', path)), { recursive: true })
    await writeFile(join(dir, 'src-tree', path), text)
  }
  const file = join(dir, name)
  await tar.c({ gzip: true, file, cwd: join(dir, 'src-tree'), portable: true }, Object.keys(files))
  return file
}

/** A tar.gz with one hostile entry, made by Python's tarfile (which writes what it is told). */
export async function hostileTarball (kind: 'dotdot' | 'absolute' | 'symlink-out'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'paip-algo-bad-'))
  const file = join(dir, `${kind}.tar.gz`)
  const script = `
import io, sys, tarfile
kind, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, 'w:gz') as t:
    ok = tarfile.TarInfo('src/evil.py'); body = b'def apply(i):\\n    return i\\n'; ok.size = len(body); t.addfile(ok, io.BytesIO(body))
    if kind == 'symlink-out':
        link = tarfile.TarInfo('src/passwd'); link.type = tarfile.SYMTYPE; link.linkname = '../../../../etc/passwd'; t.addfile(link)
    else:
        name = '../../escaped.py' if kind == 'dotdot' else '/tmp/paip-escaped.py'
        bad = tarfile.TarInfo(name); bad.size = 2; t.addfile(bad, io.BytesIO(b'x\\n'))
`
  execFileSync('python3', ['-c', script, kind, file])
  return file
}

/** A user of a node with a token (default roles, or those given). */
export async function userOf (node: TestNode, name: string, roles?: Array<'admin' | 'publish' | 'run' | 'read'>): Promise<{ client: ApiClient, token: string }> {
  const users = node.node.components.users
  await users.create(name, 'correct horse battery', roles == null ? {} : { roles })
  const { token } = await users.login(name, 'correct horse battery')
  return { client: createApiClient({ url: node.url, token, timeout: 120_000 }), token }
}

/** Uploads a local file to a data path. */
export async function upload (client: ApiClient, file: string, dataPath: string): Promise<any> {
  const { readFile } = await import('node:fs/promises')
  const response = await client.request('/api/v1/data/' + dataPath.slice('data://'.length), { method: 'PUT', raw: true, body: await readFile(file), headers: { 'content-type': 'application/octet-stream' } })
  return await response.json()
}

export const ALGORITHMS = {
  echo: { 'src/echo.py': 'def apply(input):\n    return {"echo": input}\n', 'requirements.txt': '' },
  raises: { 'src/raises.py': 'def apply(input):\n    raise ValueError("bad image: no pixels in " + str(input))\n' },
  hangs: { 'src/hangs.py': 'import time\ndef apply(input):\n    while True:\n        time.sleep(1)\n' },
  nonjson: { 'src/nonjson.py': 'def apply(input):\n    return {1, 2, 3}\n' },
  crashes: { 'src/crashes.py': 'import os, sys\ndef apply(input):\n    sys.stderr.write("fatal: the model file is truncated\\n")\n    sys.stderr.flush()\n    os._exit(3)\n' },
  reads: { 'src/reads.py': 'import os\ndef apply(input):\n    p = os.path.join(os.environ["PAIP_ALGO_DATA_DIR"], os.environ["PAIP_ALGO_OWNER"], "models", "weights.txt")\n    return {"weights": open(p).read().strip()}\n' }
}
