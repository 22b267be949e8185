/** Defaults of the protocol parser and validator, in named units. */
const KiB = 1024
const MiB = 1024 * KiB

/** Largest protocol file accepted (OpenPAI protocols are a few KiB; a 1 MiB cap is generous). */
export const MAX_PROTOCOL_BYTES = 1 * MiB

/** Deepest collection nesting accepted by the YAML parser (real protocols stay under 10). */
export const MAX_YAML_DEPTH = 64

/**
 * Most nodes (scalars, sequences, mappings) a document may hold once every alias is expanded.
 * This is what stops a "billion laughs" file: a few KiB of nested aliases would otherwise
 * stand for billions of nodes. It is counted while the parser's events are read, before any
 * value is built.
 */
export const MAX_YAML_NODES = 200_000

/** Most aliases (`*name`) a document may use. */
export const MAX_YAML_ALIASES = 1_000

/** Longest job, prerequisite and deployment name OpenPAI accepts. */
export const MAX_NAME_LENGTH = 255

/** Job, prerequisite and deployment names (pai rest-server `config/v2/protocol.js`). */
export const NAME_PATTERN = '^[a-zA-Z0-9_-]+$'

/** Task role and port label names: C identifiers (pai rest-server `config/v2/protocol.js`). */
export const ROLE_PATTERN = '^[a-zA-Z_][a-zA-Z0-9_]*$'

/** The template tag delimiters OpenPAI's renderer uses (mustache with custom tags). */
export const OPEN_TAG = '<%'
export const CLOSE_TAG = '%>'

/** `extras.hivedScheduler.jobPriorityClass` values pai's hived checks accept. */
export const HIVED_PRIORITY_CLASSES = ['prod', 'test', 'oppo']
