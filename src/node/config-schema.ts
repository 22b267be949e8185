import * as C from './constants.js'
import * as JOBS from '../jobs/constants.js'
import type { MetricsAccess } from '../metrics/index.js'

export type SettingType = 'string' | 'integer' | 'boolean' | 'list' | 'enum'

/** One config key: its default, documentation, environment variable, flag and checks. */
export interface Setting {
  /** Dot path in `config.yaml` (and in `NodeConfig`), e.g. `api.port`. */
  path: string
  type: SettingType
  default: unknown
  doc: string
  /** `PAIP_*` environment variable (lists: comma-separated). */
  env: string
  /** `paip daemon` flag, without dashes (lists: repeat the flag or separate by commas). */
  flag?: string
  values?: readonly string[]
  min?: number
  max?: number
  /** Left out of `paip config show` output (secrets). */
  secret?: boolean
}

/**
 * The one config schema: defaults, `config.yaml` documentation, env names, flags and checks.
 * A component that needs settings adds its keys here (under its own section).
 */
export const SETTINGS: readonly Setting[] = [
  { path: 'api.host', type: 'string', default: C.API_HOST, env: 'PAIP_API_HOST', flag: 'api-host', doc: 'Address the HTTP API binds to (127.0.0.1: this machine only; 0.0.0.0: every interface).' },
  { path: 'api.port', type: 'integer', default: C.API_PORT, min: 0, max: 65535, env: 'PAIP_API_PORT', flag: 'api-port', doc: 'Port of the HTTP API (0: any free port; the URL is written to the home\'s `api` file).' },
  { path: 'api.publicUrl', type: 'string', default: '', env: 'PAIP_API_PUBLIC_URL', doc: 'The http(s) URL at which other machines reach this node\'s HTTP API (behind a proxy, a published port...). Announced to searchers (seed 002\'s /search answers it). Empty: not announced.' },
  { path: 'api.bodyLimit', type: 'integer', default: C.API_BODY_LIMIT, min: 1, env: 'PAIP_API_BODY_LIMIT', doc: 'Largest JSON request body the API accepts, in bytes.' },
  { path: 'api.corsOrigins', type: 'list', default: C.API_CORS_ORIGINS, env: 'PAIP_API_CORS_ORIGINS', doc: 'Origins whose web pages may call the API (CORS), e.g. an OpenPAI webportal using /plugin.js: `*` (any origin; tokens travel in the Authorization header, never in cookies, so no credentials mode is allowed), exact origins like `https://pai.example.org`, or empty: none.' },
  { path: 'api.metrics', type: 'enum', values: ['local', 'admin', 'public', 'off'], default: C.API_METRICS, env: 'PAIP_API_METRICS', doc: 'Who may read GET /metrics (Prometheus): local (anyone connecting from this machine, others with the admin token), admin (the admin token only), public (anyone), off (no /metrics).' },
  { path: 'private', type: 'boolean', default: false, env: 'PAIP_PRIVATE', flag: 'private', doc: 'Reads need a token too (writes always do).' },
  { path: 'network.listen', type: 'list', default: C.LISTEN, env: 'PAIP_LISTEN', flag: 'listen', doc: 'libp2p multiaddrs to listen on (TCP and WebSockets).' },
  { path: 'network.announce', type: 'list', default: [], env: 'PAIP_ANNOUNCE', flag: 'announce', doc: 'Multiaddrs to announce instead of the listen addresses (NAT, containers).' },
  { path: 'network.bootstrap', type: 'list', default: [], env: 'PAIP_BOOTSTRAP', flag: 'bootstrap', doc: 'Multiaddrs with /p2p/<peer id> of nodes to join the grid through.' },
  { path: 'network.addressFilter', type: 'enum', values: ['private', 'public', 'all'], default: 'private', env: 'PAIP_ADDRESS_FILTER', flag: 'address-filter', doc: 'Addresses peers learn of each other through the DHT: private (LAN, loopback), public (internet) or all.' },
  { path: 'network.allow', type: 'list', default: C.ALLOW, env: 'PAIP_ALLOW', doc: 'Multiaddr ranges exempt from connection limits, e.g. /ip4/10.0.0.0/ipcidr/8.' },
  { path: 'network.maxConnections', type: 'integer', default: C.MAX_CONNECTIONS, min: 1, env: 'PAIP_MAX_CONNECTIONS', doc: 'Most open libp2p connections.' },
  { path: 'network.inboundConnectionThreshold', type: 'integer', default: C.INBOUND_CONNECTION_THRESHOLD, min: 1, env: 'PAIP_INBOUND_CONNECTION_THRESHOLD', doc: 'Inbound connections accepted per second from one IP (allow-listed ranges are exempt).' },
  { path: 'network.querySelfInterval', type: 'integer', default: C.QUERY_SELF_INTERVAL, min: 100, env: 'PAIP_QUERY_SELF_INTERVAL', doc: 'How often (ms) the DHT looks itself up to find close peers.' },
  { path: 'network.swarmKey', type: 'string', default: '', env: 'PAIP_SWARM_KEY', secret: true, doc: 'Private network: the swarm.key text (/key/swarm/psk/1.0.0/ ...); only nodes with the same key connect. Empty: public.' },
  { path: 'identity.privateKey', type: 'string', default: '', env: 'PAIP_IDENTITY', secret: true, doc: 'Fixed node identity: a base64 protobuf ed25519 private key (`paip id --generate`). Empty: the home\'s identity.key, created on first start.' },
  { path: 'users.signUp', type: 'boolean', default: false, env: 'PAIP_SIGN_UP', flag: 'sign-up', doc: 'Anyone may create a user on this node (PUT /repo/user/:user); otherwise only the admin.' },
  { path: 'jobs.slots', type: 'integer', default: JOBS.SLOTS, min: 1, max: 1024, env: 'PAIP_JOB_SLOTS', flag: 'job-slots', doc: 'Jobs this node runs at the same time.' },
  { path: 'jobs.timeLimit', type: 'integer', default: JOBS.TIME_LIMIT, min: 1, env: 'PAIP_JOB_TIME_LIMIT', doc: 'Longest a job may run (ms) before it is stopped and failed.' },
  { path: 'jobs.maxLogBytes', type: 'integer', default: JOBS.MAX_LOG_BYTES, min: 1, env: 'PAIP_JOB_MAX_LOG_BYTES', doc: 'Most bytes a job may print before it is stopped and failed.' },
  { path: 'jobs.maxOutputBytes', type: 'integer', default: JOBS.MAX_OUTPUT_BYTES, min: 0, env: 'PAIP_JOB_MAX_OUTPUT_BYTES', doc: 'Most bytes of output files collected from one job.' },
  { path: 'jobs.allowPeers', type: 'list', default: [], env: 'PAIP_JOB_ALLOW_PEERS', doc: 'Other nodes allowed to run jobs here: peer IDs, user@peerId, or * for any node. Empty: only this node\'s own users.' },
  { path: 'jobs.allowUsers', type: 'list', default: [], env: 'PAIP_JOB_ALLOW_USERS', doc: 'Local users (besides the admin) allowed to run jobs. Empty: every user of this node.' },
  { path: 'jobs.runtime', type: 'enum', values: ['auto', 'container', 'sandbox', 'process'], default: JOBS.RUNTIME, env: 'PAIP_JOB_RUNTIME', flag: 'job-runtime', doc: 'Where jobs run. auto: a container when an engine works here and the protocol names images, else the bwrap sandbox, else only the admin\'s jobs (as processes). process: UNSAFE, every allowed user\'s job runs as the node\'s own user and can read the node home.' },
  { path: 'jobs.network', type: 'enum', values: ['none', 'grid', 'host'], default: JOBS.NETWORK, env: 'PAIP_JOB_NETWORK', doc: 'Network a job reaches: none, grid (the container engine\'s network; in the sandbox, the host\'s) or host. A protocol can ask for less (extras.paip.network), never more.' },
  { path: 'jobs.maxMemoryMB', type: 'integer', default: 0, min: 0, env: 'PAIP_JOB_MAX_MEMORY_MB', doc: 'Most memory one task instance may use (MB); also what a role without resourcePerInstance.memoryMB gets. 0: the machine\'s memory.' },
  { path: 'jobs.maxPids', type: 'integer', default: JOBS.MAX_PIDS, min: 8, env: 'PAIP_JOB_MAX_PIDS', doc: 'Most processes and threads one task instance may run (a fork flood stops there).' },
  { path: 'jobs.gpus', type: 'integer', default: 0, min: 0, env: 'PAIP_JOB_GPUS', doc: 'GPUs this node offers jobs; a task role asking for more is refused at submission.' },
  { path: 'jobs.sandbox.bwrap', type: 'string', default: JOBS.BWRAP, env: 'PAIP_JOB_BWRAP', doc: 'The bubblewrap executable of the sandbox runtime (a name on PATH or a path).' },
  { path: 'jobs.container.engine', type: 'string', default: '', env: 'PAIP_JOB_CONTAINER_ENGINE', doc: 'The container engine command (docker, podman, or a path). Empty: docker, then podman, whichever works.' },
  { path: 'fed.allowPeers', type: 'list', default: [], env: 'PAIP_FED_ALLOW_PEERS', doc: 'Other nodes allowed to run federated rounds on this node\'s data: peer IDs, user@peerId, or * for any node. Empty: only this node\'s own users.' },
  { path: 'fed.roundTimeout', type: 'integer', default: 600_000, min: 1, env: 'PAIP_FED_ROUND_TIMEOUT', doc: 'Longest one federated round waits for its workers (ms) before leaving the slow ones out.' },
  { path: 'algorithms.allowPeers', type: 'list', default: ['*'], env: 'PAIP_ALGORITHM_ALLOW_PEERS', doc: 'Other nodes allowed to call the public algorithms published here: peer IDs, or * for any node of the grid.' },
  { path: 'shutdownTimeout', type: 'integer', default: C.SHUTDOWN_TIMEOUT, min: 100, env: 'PAIP_SHUTDOWN_TIMEOUT', doc: 'Longest a clean stop may take (ms) before the daemon exits anyway.' }
]

/** The effective configuration of a node (see SETTINGS for the meaning of each key). */
export interface NodeConfig {
  api: { host: string, port: number, publicUrl: string, bodyLimit: number, corsOrigins: string[], metrics: MetricsAccess }
  private: boolean
  network: {
    listen: string[]
    announce: string[]
    bootstrap: string[]
    addressFilter: 'private' | 'public' | 'all'
    allow: string[]
    maxConnections: number
    inboundConnectionThreshold: number
    querySelfInterval: number
    swarmKey: string
  }
  identity: { privateKey: string }
  users: { signUp: boolean }
  jobs: {
    slots: number
    timeLimit: number
    maxLogBytes: number
    maxOutputBytes: number
    allowPeers: string[]
    allowUsers: string[]
    runtime: 'auto' | 'container' | 'sandbox' | 'process'
    network: 'none' | 'grid' | 'host'
    maxMemoryMB: number
    maxPids: number
    gpus: number
    sandbox: { bwrap: string }
    container: { engine: string }
  }
  fed: {
    allowPeers: string[]
    roundTimeout: number
  }
  algorithms: { allowPeers: string[] }
  shutdownTimeout: number
}

export function settingAt (path: string): Setting | undefined {
  return SETTINGS.find(s => s.path === path)
}
