/**
 * Types of OpenPAI job protocols (version 2) and of validation results.
 * Field meanings: docs/protocol.md and ../shared/protocols/OPENPAI-PROTOCOL.md.
 */

export interface Problem {
  severity: 'error' | 'warning'
  /** JSON pointer of the field, e.g. `/taskRoles/train/commands` (`''` is the whole document). */
  path: string
  message: string
  /** 1-based line in the YAML source, when known. */
  line?: number
  /** 1-based column in the YAML source, when known. */
  column?: number
  /**
   * A short stable rule id: `too-large`, `binary`, `encoding`, `yaml-syntax`, `yaml-multi-document`,
   * `yaml-bomb`, `yaml-depth`, `yaml-key`, `schema`, `duplicate-prerequisite`, `duplicate-deployment`,
   * `undeclared-prerequisite`, `undeclared-deployment`, `template-syntax`, `template-tag`,
   * `undeclared-parameter`, `undeclared-secret`, `undeclared-reference`, `unknown-task-role`,
   * `hived`, `spec`, `io`.
   */
  rule?: string
}

export interface ValidateOptions {
  /** The file's name, for messages. */
  file?: string
  /** Report the published spec's stricter rules as errors instead of warnings. */
  strict?: boolean
  /** Size cap in bytes (default 1 MiB). */
  maxBytes?: number
  /** Expanded-node cap (aliases counted at their full size); default 200,000. */
  maxNodes?: number
  /** Nesting depth cap; default 64. */
  maxDepth?: number
}

export interface ValidationResult {
  /** True when there is no error (warnings allowed). */
  ok: boolean
  errors: Problem[]
  warnings: Problem[]
  /**
   * The parsed document, when it parsed at all. When `ok` it is a valid `Protocol`
   * (`parseProtocol` returns it typed as one).
   */
  protocol?: Record<string, unknown>
}

export type ProtocolVersion = 2 | '2'

/** Fields every protocol part may carry. */
export interface ProtocolBase {
  protocolVersion?: ProtocolVersion
  name: string
  version?: string | number
  contributor?: string
  description?: string
}

export interface DockerImagePrerequisite extends ProtocolBase {
  type: 'dockerimage'
  /** Image reference, e.g. `openpai/standard:python_3.6-pytorch_1.2.0-gpu`. */
  uri: string
  /** Registry credentials; fields may use `<% $secrets.x %>`. */
  auth?: { username?: string, password?: string, registryuri?: string }
}

export interface ScriptOrOutputPrerequisite extends ProtocolBase {
  type: 'script' | 'output'
  uri?: string
  plugin?: string
  require?: string[]
  failurePolicy?: 'ignore' | 'fail'
  [key: string]: unknown
}

export interface DataPrerequisite extends ProtocolBase {
  type: 'data'
  uri?: string[]
  plugin?: string
  require?: string[]
  failurePolicy?: 'ignore' | 'fail'
  [key: string]: unknown
}

export type Prerequisite = DockerImagePrerequisite | ScriptOrOutputPrerequisite | DataPrerequisite
export type PrerequisiteType = Prerequisite['type']

export interface ResourcePerInstance {
  cpu: number
  memoryMB: number
  gpu: number
  /** Port label → how many ports to reserve. */
  ports?: Record<string, number>
}

export interface Completion {
  minFailedInstances?: number | null
  minSucceededInstances?: number | null
}

export interface TaskRole {
  protocolVersion?: ProtocolVersion
  /** Default 1. */
  instances?: number
  completion?: Completion
  taskRetryCount?: number
  /** Names of prerequisites (of any type) applied in order. */
  prerequisites?: string[]
  /** Name of a `dockerimage` prerequisite. */
  dockerImage: string
  /** Name of a `data` prerequisite; it becomes `$data` in this role's commands. */
  data?: string
  /** Name of an `output` prerequisite; it becomes `$output`. */
  output?: string
  /** Name of a `script` prerequisite; it becomes `$script`. */
  script?: string
  extraContainerOptions?: { shmMB?: number, infiniband?: boolean, [key: string]: unknown }
  resourcePerInstance: ResourcePerInstance
  /** Shell commands, joined with newlines after rendering. */
  commands: string[]
}

export interface DeploymentTaskRole {
  preCommands?: string[]
  postCommands?: string[]
}

export interface Deployment {
  protocolVersion?: ProtocolVersion
  name: string
  taskRoles: Record<string, DeploymentTaskRole>
  [key: string]: unknown
}

/** An OpenPAI job protocol (v2), as OpenPAI's REST server accepts it. */
export interface Protocol extends ProtocolBase {
  protocolVersion: ProtocolVersion
  type: 'job'
  prerequisites?: Prerequisite[]
  parameters?: Record<string, unknown>
  secrets?: Record<string, unknown>
  jobRetryCount?: number
  taskRoles: Record<string, TaskRole>
  deployments?: Deployment[]
  defaults?: { deployment?: string, virtualCluster?: string, [key: string]: unknown }
  extras?: Record<string, unknown>
  [key: string]: unknown
}
