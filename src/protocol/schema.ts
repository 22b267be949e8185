/**
 * The shape OpenPAI's REST server enforces on a job protocol (pai `src/rest-server/src/config/v2/
 * protocol.js` at a95d9420e, restated in ../shared/protocols/OPENPAI-PROTOCOL.md sections 2-4),
 * as a draft-07 JSON Schema. pai's `oneOf` of `$merge`d prerequisite kinds is written as
 * `if type == X then ...`, so an error names the field at fault rather than "matches no schema".
 */
import { MAX_NAME_LENGTH, NAME_PATTERN, ROLE_PATTERN } from './constants.js'

const protocolVersion = { enum: ['2', 2] }
const name = { type: 'string', pattern: NAME_PATTERN, maxLength: MAX_NAME_LENGTH }
const version = { type: ['string', 'number'] }
const text = { type: 'string' }
const strings = { type: 'array', items: { type: 'string' } }
const commandList = { type: 'array', items: { type: 'string' }, minItems: 1 }

/** Fields shared by the job and every prerequisite (pai `base.json`). */
const baseProperties = { protocolVersion, name, version, contributor: text, description: text }

const prerequisiteKinds = {
  dockerimage: {
    required: ['uri'],
    properties: {
      ...baseProperties,
      type: true,
      auth: {
        type: 'object',
        properties: { username: text, password: text, registryuri: text }
      },
      uri: text
    },
    additionalProperties: false
  },
  script: { properties: { uri: text, plugin: text, require: strings } },
  output: { properties: { uri: text, plugin: text, require: strings } },
  data: { properties: { uri: strings, plugin: text, require: strings } }
}

const prerequisite = {
  type: 'object',
  required: ['name', 'type'],
  properties: {
    ...baseProperties,
    type: { type: 'string', enum: Object.keys(prerequisiteKinds) }
  },
  allOf: Object.entries(prerequisiteKinds).map(([kind, then]) => ({
    if: { properties: { type: { const: kind } }, required: ['type'] },
    then
  }))
}

const taskRole = {
  type: 'object',
  required: ['dockerImage', 'resourcePerInstance', 'commands'],
  additionalProperties: false,
  properties: {
    protocolVersion,
    instances: { type: 'integer', minimum: 1 },
    completion: {
      type: 'object',
      additionalProperties: false,
      properties: {
        minFailedInstances: { type: ['integer', 'null'] },
        minSucceededInstances: { type: ['integer', 'null'] }
      }
    },
    taskRetryCount: { type: 'integer' },
    prerequisites: strings,
    dockerImage: text,
    data: text,
    output: text,
    script: text,
    // pai puts `additionalProperties: false` inside `properties` here (a bug), so any key passes
    extraContainerOptions: { type: 'object', properties: { shmMB: { type: 'integer' } } },
    resourcePerInstance: {
      type: 'object',
      required: ['cpu', 'memoryMB', 'gpu'],
      additionalProperties: false,
      properties: {
        cpu: { type: 'integer' },
        memoryMB: { type: 'integer' },
        gpu: { type: 'integer' },
        ports: {
          type: 'object',
          patternProperties: { [ROLE_PATTERN]: { type: 'integer' } },
          minProperties: 1,
          additionalProperties: false
        }
      }
    },
    commands: commandList
  }
}

const deployment = {
  type: 'object',
  required: ['name', 'taskRoles'],
  properties: {
    protocolVersion,
    name,
    taskRoles: {
      type: 'object',
      minProperties: 1,
      additionalProperties: false,
      patternProperties: {
        [ROLE_PATTERN]: {
          type: 'object',
          additionalProperties: false,
          properties: { preCommands: commandList, postCommands: commandList }
        }
      }
    }
  }
}

/** The job protocol as pai's rest-server validates it. */
export const protocolSchema = {
  $id: 'https://paip.dev/schemas/openpai-protocol-v2.json',
  type: 'object',
  required: ['protocolVersion', 'name', 'type', 'taskRoles'],
  additionalProperties: false,
  properties: {
    ...baseProperties,
    type: { type: 'string', enum: ['job'] },
    prerequisites: { type: 'array', minItems: 1, items: prerequisite },
    parameters: { type: 'object' },
    secrets: { type: 'object' },
    jobRetryCount: { type: 'integer', minimum: 0 },
    // pai has no `type: object` here and would iterate a string; a validator should not
    taskRoles: {
      type: 'object',
      minProperties: 1,
      additionalProperties: false,
      patternProperties: { [ROLE_PATTERN]: taskRole }
    },
    deployments: { type: 'array', minItems: 1, items: deployment },
    defaults: { type: 'object', properties: { deployment: text } },
    extras: { type: 'object' }
  }
}
