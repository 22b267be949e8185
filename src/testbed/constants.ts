import { minute, second } from '../time.js'

/**
 * Longest a starting daemon may go without using any CPU (stuck): one that keeps running is
 * waited for, since on a loaded machine a start waits most of its time for a core.
 */
export const START_TIMEOUT = 30 * second
/** Longest a daemon may take to print that it started, however busy (a bound on everything). */
export const START_MAX_TIMEOUT = 10 * minute
/** How often a starting daemon's CPU time is read. */
export const START_POLL_INTERVAL = second
/** Longest a daemon may take to exit after SIGTERM before it is killed. */
export const STOP_TIMEOUT = 10 * second
/** Lines of a daemon's stderr kept for error messages. */
export const KEPT_LOG_LINES = 50

/** Netns testbed: names of its namespaces (`paip-ns<X>-hub`, `paip-ns<X>-n<i>`) and links (`pns<X>-...`). */
export const NETNS_PREFIX = 'paip-ns'
export const NETNS_LINK_PREFIX = 'pns'
/** Instance X gets 10.77.X.0/24: the host side .1, node i at .(i + 2). */
export const NETNS_NETWORK_PREFIX = '10.77'
export const NETNS_MAX_NODES = 250
/** Who owns which instance (a pid file each); tmpfs, gone at reboot like the namespaces. */
export const NETNS_STATE_DIR = '/run/paip-netns'
/** One-way delay between two nodes (ms): 20 ms RTT. */
export const NETNS_DELAY = 10
/** Packets lost between two nodes, per direction (%): about 1% per round trip. */
export const NETNS_LOSS = 0.5
/** Every netns node listens on these ports of its own address. */
export const NETNS_LIBP2P_PORT = 4001
export const NETNS_API_PORT = 9292
