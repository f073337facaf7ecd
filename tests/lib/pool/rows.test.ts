import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors';
import type { PoolRow } from '../../../lib/pool';
import { poolKeywordCounts, readPoolRows } from '../../../lib/pool/rows';
import { useTempDir } from '../../helpers/temp';

const tmp = useTempDir('pool-rows');
const CLASSES = ['airplane', 'cat', 'dog'];

const row = (n: number, cls: string, keyword: string, extra: Partial<PoolRow> = {}): PoolRow => ({
  row: n, id: `img-${n}`, path: `${cls}/${keyword}/${n}.png`, class: cls, keyword, sha256: String(n).repeat(64).slice(0, 64), format: 'png', width: 40, height: 30, ...extra,
});

describe('readPoolRows', () => {
  it('reads one row a line, in order, skipping blank lines, licence and url kept', async () => {
    const rows = [row(0, 'cat', 'tabby'), row(1, 'dog', 'pug', { url: 'https://example.org/1', license: 'CC0-1.0' }), row(2, 'cat', 'tabby')];
    const file = path.join(tmp(), 'pool_rows.jsonl');
    await writeFile(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n\n`);
    expect(await readPoolRows(file)).toEqual(rows);
  });

  it('reads an empty file as no rows', async () => {
    const file = path.join(tmp(), 'empty.jsonl');
    await writeFile(file, '');
    expect(await readPoolRows(file)).toEqual([]);
  });

  it('names the file and the line that is not JSON', async () => {
    const file = path.join(tmp(), 'bad.jsonl');
    await writeFile(file, `${JSON.stringify(row(0, 'cat', 'tabby'))}\n{"row": 1, "id": \n`);
    await expect(readPoolRows(file)).rejects.toThrow(new InputError('line 2 is not JSON', file));
  });

  it('names a file it cannot read', async () => {
    const file = path.join(tmp(), 'missing.jsonl');
    await expect(readPoolRows(file)).rejects.toThrow(new InputError('cannot read the pool\'s rows (ENOENT)', file));
  });
});

describe('poolKeywordCounts', () => {
  it('counts images per keyword of each class, most first, ties by name, every class present', () => {
    const rows = [
      ['cat', 'tabby'], ['cat', 'kitten'], ['cat', 'tabby'], ['dog', 'pug'], ['cat', 'siamese'], ['cat', 'kitten'], ['cat', 'tabby'], ['dog', 'beagle'],
    ].map(([c, k]) => ({ class: c, keyword: k }));
    const counts = poolKeywordCounts(rows, CLASSES);
    expect(counts).toEqual({ airplane: {}, cat: { tabby: 3, kitten: 2, siamese: 1 }, dog: { beagle: 1, pug: 1 } });
    expect(Object.keys(counts)).toEqual(CLASSES);
    expect(Object.keys(counts.cat)).toEqual(['tabby', 'kitten', 'siamese']);
    expect(Object.keys(counts.dog)).toEqual(['beagle', 'pug']);
  });

  it('counts a keyword under each class it has images of, and leaves out classes not asked for', () => {
    const rows = [{ class: 'airplane', keyword: 'cruiser' }, { class: 'dog', keyword: 'cruiser' }, { class: 'ship', keyword: 'cruiser' }];
    expect(poolKeywordCounts(rows, CLASSES)).toEqual({ airplane: { cruiser: 1 }, cat: {}, dog: { cruiser: 1 } });
  });

  it('counts keywords named like Object.prototype members as any other', () => {
    const rows = [['cat', 'constructor'], ['cat', 'constructor'], ['cat', 'toString'], ['cat', 'tabby']].map(([c, k]) => ({ class: c, keyword: k }));
    expect(poolKeywordCounts(rows, CLASSES).cat).toEqual({ constructor: 2, tabby: 1, toString: 1 });
  });
});
