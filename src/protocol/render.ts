/**
 * The command a task role runs, built as OpenPAI builds its entrypoint (pai
 * `middlewares/v2/protocol.js` L174-201): the default deployment's preCommands, the role's
 * commands and its postCommands, each trimmed, joined with newlines, then rendered with
 * `$parameters` and the role's `$data`/`$output`/`$script`. OpenPAI leaves `$secrets` tags for
 * the container's runtime; pass `secrets` to render them here too.
 */
import { NotFoundError } from '../errors.js'
import { isMapping } from './references.js'
import { renderTemplate } from './template.js'
import type { Prerequisite, Protocol, TaskRole } from './types.js'
import type { TemplateVariables } from './template.js'

export interface RenderCommandsOptions {
  /** Overrides of the protocol's own `parameters` (merged over them). */
  parameters?: Record<string, unknown>
  /** Secret values; without them `<% $secrets.x %>` tags are kept as they are. */
  secrets?: Record<string, unknown>
  /** Deployment to apply (default: `defaults.deployment`, if any). */
  deployment?: string
}

function prerequisite (protocol: Protocol, type: string, name: string | undefined): Prerequisite | undefined {
  if (name == null) return undefined
  return protocol.prerequisites?.find(p => p.type === type && p.name === name)
}

/** The variables a task role's commands are rendered with. */
export function taskRoleVariables (protocol: Protocol, roleName: string, options: RenderCommandsOptions = {}): TemplateVariables {
  const role = protocol.taskRoles[roleName]
  const variables: TemplateVariables = {
    parameters: { ...(isMapping(protocol.parameters) ? protocol.parameters : {}), ...options.parameters },
    data: prerequisite(protocol, 'data', role?.data),
    output: prerequisite(protocol, 'output', role?.output),
    script: prerequisite(protocol, 'script', role?.script)
  }
  if (options.secrets != null) variables.secrets = options.secrets
  return variables
}

/**
 * The rendered entrypoint of a task role (a validated protocol). Throws NotFoundError for an
 * unknown role or deployment, TemplateSyntaxError for a malformed tag.
 */
export function renderTaskRoleCommands (protocol: Protocol, roleName: string, options: RenderCommandsOptions = {}): string {
  const role: TaskRole | undefined = Object.hasOwn(protocol.taskRoles, roleName) ? protocol.taskRoles[roleName] : undefined
  if (role == null) throw new NotFoundError(`task role \`${roleName}\` does not exist`)
  const deploymentName = options.deployment ?? protocol.defaults?.deployment
  let pre: string[] = []
  let post: string[] = []
  if (deploymentName != null) {
    const deployment = protocol.deployments?.find(d => d.name === deploymentName)
    if (deployment == null) throw new NotFoundError(`deployment \`${deploymentName}\` does not exist`)
    const entry = Object.hasOwn(deployment.taskRoles, roleName) ? deployment.taskRoles[roleName] : undefined
    pre = entry?.preCommands ?? []
    post = entry?.postCommands ?? []
  }
  const lines = [...pre, ...role.commands, ...post].map(line => line.trim())
  return renderTemplate(lines.join('\n'), taskRoleVariables(protocol, roleName, options)).trim()
}
