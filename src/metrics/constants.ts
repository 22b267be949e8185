const millisecond = 0.001

/** Histogram buckets of paip's operations, in seconds: 5 ms to 30 s (publish, search, fetch, dispatch). */
export const OPERATION_BUCKETS = [5, 10, 25, 50, 100, 150, 200, 300, 400, 600, 1000, 2000, 5000, 10_000, 30_000].map(ms => ms * millisecond)

/** Histogram buckets of HTTP requests, in seconds: 1 ms to 10 s. */
export const HTTP_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10_000].map(ms => ms * millisecond)

/** The HTTP methods that get their own label value; any other is counted as `other`. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const

/** The route label of a request no route matched (its raw URL is never a label). */
export const UNMATCHED_ROUTE = 'unmatched'
