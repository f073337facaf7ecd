import { describe, expect, it } from 'vitest';
import * as pool from '../../../lib/pool';
import * as config from '../../../lib/pool/config';
import * as ingest from '../../../lib/pool/ingest';
import * as render from '../../../lib/pool/render';
import * as rows from '../../../lib/pool/rows';
import * as scan from '../../../lib/pool/scan';

describe('lib/pool', () => {
  it('exports the pool\'s pieces from their modules, the same objects, and nothing else', () => {
    const from = {
      scanPool: scan.scanPool,
      checkClassCounts: ingest.checkClassCounts, CORPUS_FILES: ingest.CORPUS_FILES, ingestPool: ingest.ingestPool, poolIdentity: ingest.poolIdentity,
      poolConfigSchema: config.poolConfigSchema,
      POOL_FORMATS: render.POOL_FORMATS, RENDER_ENGINE: render.RENDER_ENGINE, renderImage: render.renderImage, resizeSchema: render.resizeSchema,
      poolKeywordCounts: rows.poolKeywordCounts, readPoolRows: rows.readPoolRows,
    };
    expect(Object.keys(pool).sort()).toEqual(Object.keys(from).sort());
    for (const [name, value] of Object.entries(from)) expect(pool[name as keyof typeof pool], name).toBe(value);
  });
});
