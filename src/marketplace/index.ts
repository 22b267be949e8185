/**
 * The marketplace on the DHT: publish protocol versions (signed record + provider records per
 * keyword and per CID), answer searches and fetches from peers, search the network, pull.
 */
export { createMarketplace } from './marketplace.js'
export { blocksOf } from './pull.js'
export * from './errors.js'
export * as MARKET from './constants.js'
export { protocolRecords, protocolKeywords, decodeProtocolRecordValue } from './record.js'
export { checkFilePath, checkProtocolName, qualifiedName, splitQualified, ADMIN_PUBLISHER } from './objects.js'
export { PushDivergedError } from './publish.js'
export { rankHits } from './search.js'
export { keywordKey, prefixKey } from './keys.js'
export type { ProtocolRecord, ProtocolRecordValue } from './record.js'
export type { PublishInput, VersionBundle, Block } from './publish.js'
export type { Version } from './objects.js'
export type { Entry, MarketDb } from './store.js'
export type { SearchHit, SearchOptions, PulledVersion, VersionSink, MarketplaceComponents, MarketplaceInit, PublishResult, PullOptions, PullResult, HistoryResult, Marketplace } from './types.js'
