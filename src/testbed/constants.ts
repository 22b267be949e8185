const second = 1000

/** Longest a daemon may take to print that it started. */
export const START_TIMEOUT = 30 * second
/** Longest a daemon may take to exit after SIGTERM before it is killed. */
export const STOP_TIMEOUT = 10 * second
/** Lines of a daemon's stderr kept for error messages. */
export const KEPT_LOG_LINES = 50
