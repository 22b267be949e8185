import { InvalidArgumentError } from '../../../errors.js'
import { withRepository } from '../repo/shared.js'
import type { RepoCommandOptions } from '../repo/shared.js'
import type { ApiClient } from '../../../client/index.js'
import type { CommandContext } from '../../context.js'

/** What `GET /api/v1/marketplace/pull` answers. */
export interface PullAnswer {
  publisher?: string
  name: string
  file: string
  selected: string
  head: string
  versions: Array<{ cid: string, seq: number }>
  records: Array<{ cid: string, bytes: string }>
  contents: Array<{ cid: string, bytes: string }>
}

const blocks = (list: Array<{ cid: string, bytes: string }>): Array<{ cid: string, bytes: Uint8Array }> =>
  list.map(b => ({ cid: String(b.cid), bytes: new Uint8Array(Buffer.from(String(b.bytes), 'base64')) }))

/** Asks a node to pull `ref` and imports its answer into the local repository, then checks the file out. */
export async function pullInto (ctx: CommandContext, client: ApiClient, ref: string, options: RepoCommandOptions & { version?: string, force?: boolean }): Promise<{ answer: PullAnswer, updated: boolean, diverged: boolean }> {
  const answer = await client.get<PullAnswer>('/api/v1/marketplace/pull', { query: { ref, version: options.version }, signal: ctx.signal })
  if (!Array.isArray(answer?.records) || !Array.isArray(answer?.contents) || typeof answer.file !== 'string') throw new InvalidArgumentError('the node answered the pull with something unexpected')
  return await withRepository(ctx, options, async repo => {
    const result = await repo.importVersions(blocks(answer.records), blocks(answer.contents), { signal: ctx.signal })
    const diverged = result.diverged.some(d => d.path === answer.file)
    if (!diverged) await repo.checkout(answer.selected, { paths: [answer.file], cwd: repo.root, force: options.force === true, signal: ctx.signal })
    return { answer, updated: result.updated[answer.file] != null, diverged }
  })
}
