/**
 * A pool of the user's own images as a source: scanPool lists it, poolIdentity
 * keys its cache entry, ingestPool converts it once into a corpus in the
 * TinyImages layout, checkClassCounts fails a pool too thin for the release.
 */
export { scanPool, type PoolEntry, type PoolProblem, type ScannedPool, type ScanOptions } from './scan';
export { checkClassCounts, CORPUS_FILES, ingestPool, poolIdentity, type IngestOptions, type IngestProgress, type PoolCorpusSummary, type PoolRow, type SkippedFile } from './ingest';
export { poolConfigSchema, type PoolConfig } from './config';
export { POOL_FORMATS, RENDER_ENGINE, renderImage, resizeSchema, type ResizeSpec } from './render';
export { poolKeywordCounts, readPoolRows } from './rows';
