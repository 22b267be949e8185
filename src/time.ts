/**
 * Units of time in milliseconds, for defaults written in named units
 * (`export const QUERY_TIMEOUT = 10 * second`).
 */
export const second = 1000
export const minute = 60 * second
export const hour = 60 * minute
export const day = 24 * hour
