/** Default cap on a JSON request body. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024
/** Default cap on a raw (streamed upload) request body. */
/** Largest OpenPAI marketplace storage blob (`/storages/blobs`), in bytes. */
export const MAX_STORAGE_BLOB_BYTES = 64 * 1024 * 1024
export const MAX_RAW_BODY_BYTES = 10 * 1024 * 1024 * 1024
/** The default API URL of the local node. */
export const DEFAULT_API_URL = 'http://127.0.0.1:9292'
/** Files the daemon writes in its home. */
export const API_FILE = 'api'
export const TOKEN_FILE = 'token'
