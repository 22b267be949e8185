/** Chunk size used when reading blobs back (bytes). */
export const READ_CHUNK_BYTES = 256 * 1024
/** Folder (inside the blob directory) for writes in progress. */
export const TEMP_DIR = 'tmp'
/** Folder (inside the blob directory) for resumable transfers' partial files. */
export const PARTIAL_DIR = 'partial'
/** The multicodec of raw bytes, used for every blob CID. */
export const RAW_CODEC = 0x55
/** The multihash code of sha2-256. */
export const SHA2_256 = 0x12
/** A sweep while the node runs (`paip gc`) leaves files written in the last this many ms: writes in progress. */
export const GC_GRACE = 10 * 60 * 1000
