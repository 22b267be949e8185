/**
 * OpenPAI job protocols (v2): safe parsing, validation as OpenPAI's REST server enforces it
 * (plus the published spec's stricter rules as warnings, or errors under `strict`), and
 * rendering of `<% $parameters.x %>` template tags. See docs/protocol.md.
 */
export type {
  Completion, DataPrerequisite, Deployment, DeploymentTaskRole, DockerImagePrerequisite, Prerequisite,
  PrerequisiteType, Problem, Protocol, ProtocolBase, ProtocolVersion, ResourcePerInstance,
  ScriptOrOutputPrerequisite, TaskRole, ValidateOptions, ValidationResult
} from './types.js'
export { validateProtocol, parseProtocol } from './validate.js'
export { readProtocolFile, readProtocolFileSync, validateProtocolFile, validateProtocolFiles } from './file.js'
export type { ReadProtocol, ReadProtocolOptions } from './file.js'
export { ProtocolInvalidError, TemplateSyntaxError } from './errors.js'
export { parseTemplate, renderTemplate, lookup as lookupTemplateReference } from './template.js'
export type { TemplateToken, TemplateTokenType, TemplateVariables } from './template.js'
export { renderTaskRoleCommands, taskRoleVariables } from './render.js'
export type { RenderCommandsOptions } from './render.js'
export { protocolSchema } from './schema.js'
export { formatProblem } from './format.js'
export type { FormatOptions } from './format.js'
export {
  MAX_PROTOCOL_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES, MAX_YAML_ALIASES, NAME_PATTERN, ROLE_PATTERN
} from './constants.js'
