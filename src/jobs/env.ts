import type { RunnableProtocol, TaskRole } from './runnable.js'
import type { LocalContent, StoredJob } from './types.js'

/**
 * The environment a task instance runs with. Nothing of the node's own environment leaks in
 * except `PATH`, `LANG` and `TZ`. OpenPAI's variables (`PAI_*`, schemas/v2/README.md of
 * openpai-protocol and pai's runtime-env.js) plus paip's own (`PAIP_*`):
 *
 * | variable | value |
 * |---|---|
 * | `PAI_JOB_NAME` | `<user>~<protocol name>` |
 * | `PAI_USER_NAME`, `PAI_USERNAME` | the submitter's user (else its peer ID) |
 * | `PAI_TASK_ROLE_COUNT`, `PAI_TASK_ROLE_LIST` | task roles: how many, comma-separated names |
 * | `PAI_TASK_ROLE_TASK_COUNT_<role>` | instances of each role |
 * | `PAI_RESOURCE_<role>` | `gpu,cpu,memMB,shmMB` of each role |
 * | `PAI_HOST_IP_<role>_<idx>` | `127.0.0.1` (every instance runs on this node) |
 * | `PAI_CURRENT_TASK_ROLE_NAME`, `PAI_CURRENT_TASK_ROLE_CURRENT_TASK_INDEX` | this instance |
 * | `PAI_JOB_TASK_COUNT`, `PAI_TASKS_NUM`, `PAI_JOB_TASK_ROLE_COUNT`, `PAI_TASK_ROLES_NUM`, `PAI_JOB_TASK_ROLE_LIST` | legacy names |
 * | `PAIP_JOB_ID` | the job ID |
 * | `PAIP_NODE_ID` | the peer ID of the node running it |
 * | `PAIP_RUNTIME` | `process` |
 * | `PAIP_WORK_DIR` (also `HOME`, and the current directory) | a fresh directory of this job |
 * | `PAIP_OUTPUT_DIR` | files written here are collected as the job's outputs |
 * | `PAIP_DATASET_DIR`, `PAIP_DATASET_CID`, `PAIP_DATASET_NAME`, `PAIP_DATASET_ID` | the dataset's files (read them, don't write) |
 * | `PAIP_MODEL_DIR`, `PAIP_MODEL_CID`, `PAIP_MODEL_NAME`, `PAIP_MODEL_ID` | the model's files, when the node holds the model |
 * | `PAIP_MODEL_ENTRYPOINT` | the model's entry point for evaluations (default `evaluate`) |
 * | `PAIP_EVAL_KEY`, `PAIP_EVAL_CRITERIA` | for evaluations: the key and the comma-separated criteria to compute (only the missing ones when a finished result gives the others) |
 */

export interface EnvInit {
  job: StoredJob
  protocol: RunnableProtocol
  role: TaskRole
  index: number
  workDir: string
  outputDir: string
  dataset?: LocalContent
  model?: LocalContent
  /** The node's own environment (only PATH, LANG, TZ are taken). */
  base: Record<string, string | undefined>
}

function resource (role: TaskRole): string {
  const r = role.resourcePerInstance ?? {}
  const n = (key: string): string => typeof r[key] === 'number' ? String(r[key]) : '0'
  return `${n('gpu')},${n('cpu')},${n('memoryMB')},${n('shmMB')}`
}

export function taskEnv (init: EnvInit): Record<string, string> {
  const { job, protocol, role } = init
  const user = job.submitter.user ?? job.submitter.peer
  const env: Record<string, string> = {}
  for (const key of ['PATH', 'LANG', 'TZ']) {
    const value = init.base[key]
    if (value != null) env[key] = value
  }
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin'
  const roles = protocol.taskRoles
  const tasks = roles.reduce((sum, r) => sum + r.instances, 0)
  Object.assign(env, {
    HOME: init.workDir,
    TMPDIR: init.workDir,
    PAI_JOB_NAME: `${user}~${protocol.name}`,
    PAI_USER_NAME: user,
    PAI_USERNAME: user,
    PAI_TASK_ROLE_COUNT: String(roles.length),
    PAI_TASK_ROLE_LIST: roles.map(r => r.name).join(','),
    PAI_JOB_TASK_COUNT: String(tasks),
    PAI_TASKS_NUM: String(tasks),
    PAI_JOB_TASK_ROLE_COUNT: String(roles.length),
    PAI_TASK_ROLES_NUM: String(roles.length),
    PAI_JOB_TASK_ROLE_LIST: roles.map(r => r.name).join(','),
    PAI_CURRENT_TASK_ROLE_NAME: role.name,
    PAI_CURRENT_TASK_ROLE_CURRENT_TASK_INDEX: String(init.index),
    PAIP_JOB_ID: job.id,
    PAIP_NODE_ID: job.node,
    PAIP_RUNTIME: job.runtime,
    PAIP_WORK_DIR: init.workDir,
    PAIP_OUTPUT_DIR: init.outputDir
  })
  for (const r of roles) {
    env[`PAI_TASK_ROLE_TASK_COUNT_${r.name}`] = String(r.instances)
    env[`PAI_RESOURCE_${r.name}`] = resource(r)
    for (let i = 0; i < r.instances; i++) env[`PAI_HOST_IP_${r.name}_${i}`] = '127.0.0.1'
  }
  const content = (prefix: string, c?: LocalContent): void => {
    if (c == null) return
    env[`${prefix}_DIR`] = c.dir
    env[`${prefix}_CID`] = c.cid
    env[`${prefix}_NAME`] = c.name
    env[`${prefix}_ID`] = c.id
  }
  content('PAIP_DATASET', init.dataset)
  content('PAIP_MODEL', init.model)
  if (init.model != null) env.PAIP_MODEL_ENTRYPOINT = init.model.entrypoint ?? 'evaluate'
  if (job.evaluation != null) {
    env.PAIP_EVAL_KEY = job.evaluation.key
    env.PAIP_EVAL_CRITERIA = (job.evaluation.run ?? job.evaluation.criteria).join(',')
  }
  return env
}
