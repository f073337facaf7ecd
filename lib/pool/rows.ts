import { readFile } from 'node:fs/promises';
import { InputError } from '../errors';
import type { PoolRow } from './ingest';

/** The rows of a pool corpus (`pool_rows.jsonl`): each corpus image's file, id, class, keyword and licence. */
export async function readPoolRows(file: string): Promise<PoolRow[]> {
  const text = await readFile(file, 'utf8').catch((err) => {
    throw new InputError(`cannot read the pool's rows (${err.code ?? err.message})`, file);
  });
  return text.split('\n').filter(Boolean).map((line, i) => {
    try {
      return JSON.parse(line) as PoolRow;
    } catch {
      throw new InputError(`line ${i + 1} is not JSON`, file);
    }
  });
}

/** Images per keyword of each class, by decreasing count, then keyword: a pool's keywords ranked as stage 1 ranks TinyImages'. */
export function poolKeywordCounts(rows: Array<Pick<PoolRow, 'class' | 'keyword'>>, classes: string[]): Record<string, Record<string, number>> {
  // Maps, not objects: a keyword may be named `constructor` or `__proto__`.
  const byClass = new Map(classes.map((c) => [c, new Map<string, number>()]));
  for (const r of rows) {
    const counts = byClass.get(r.class);
    counts?.set(r.keyword, (counts.get(r.keyword) ?? 0) + 1);
  }
  return Object.fromEntries([...byClass].map(([c, counts]) => [c, Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)))]));
}
