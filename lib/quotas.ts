import { InputError } from './errors';

/**
 * v4 rule: ceil(count / perImage) new images per keyword, none when
 * count / perImage < minFraction. Order of the input is kept.
 */
export function perKeywordQuotas(counts: Array<[string, number]>, perImage: number, minFraction: number): Array<[string, number]> {
  return counts.map(([keyword, count]) => [keyword, count / perImage < minFraction ? 0 : Math.ceil(count / perImage)]);
}

/**
 * v6 rule: `total` images over keywords in proportion to their counts, floors
 * first, then one more for the largest remainders (ties: earlier keyword).
 * Integer arithmetic, so no rounding noise decides a tie. Keywords with a
 * zero quota are left out.
 */
export function balancedQuotas(counts: Array<[string, number]>, total: number): Array<[string, number]> {
  const sum = counts.reduce((s, [, c]) => s + c, 0);
  if (sum === 0) return [];
  const quotas = counts.map(([keyword, count]) => ({ keyword, quota: Math.floor((total * count) / sum), rest: (total * count) % sum }));
  const missing = total - quotas.reduce((s, q) => s + q.quota, 0);
  [...quotas.keys()]
    .sort((a, b) => quotas[b].rest - quotas[a].rest || a - b)
    .slice(0, missing)
    .forEach((i) => quotas[i].quota++);
  return quotas.filter((q) => q.quota > 0).map((q) => [q.keyword, q.quota]);
}

/** Quotas in the published layout: v4 `{keyword: n}` in sampling order, v6 `{class: {keyword: n}}`. */
export type Quotas =
  | { method: 'per-keyword'; perKeyword: Record<string, number>; order: string[] }
  | { method: 'balanced'; perClass: Record<string, Record<string, number>> };

/** The sampling rule of a release config (configs/schema.ts), as quotas need it. */
export type QuotaRule =
  | { method: 'per-keyword'; imagesPerCount: number; minFraction: number }
  | { method: 'balanced'; perClass: number };

/**
 * Quotas of a release from each class's keywords and their CIFAR-10 counts
 * (in rank order): per keyword, or balanced per class. Per-keyword quotas need
 * each keyword in one class only.
 */
export function computeQuotas(byClass: Array<Array<[string, number]>>, classes: string[], rule: QuotaRule): { quotas: Quotas; perClass: number[]; table: unknown } {
  if (rule.method === 'per-keyword') {
    const perKeyword: Record<string, number> = Object.create(null); // a keyword may be named `constructor` or `__proto__`
    const order: string[] = [];
    const perClass = byClass.map((counts) => {
      let n = 0;
      for (const [keyword, quota] of perKeywordQuotas(counts, rule.imagesPerCount, rule.minFraction)) {
        if (quota === 0) continue;
        if (Object.hasOwn(perKeyword, keyword)) throw new InputError('keyword is in two classes; per-keyword sampling needs one class per keyword', keyword);
        perKeyword[keyword] = quota;
        order.push(keyword);
        n += quota;
      }
      return n;
    });
    return { quotas: { method: 'per-keyword', perKeyword, order }, perClass, table: perKeyword };
  }
  const table: Record<string, Record<string, number>> = {};
  const perClass = byClass.map((counts, c) => {
    table[classes[c]] = Object.fromEntries(balancedQuotas(counts, rule.perClass));
    return Object.values(table[classes[c]]).reduce((a, b) => a + b, 0);
  });
  return { quotas: { method: 'balanced', perClass: table }, perClass, table };
}

/** The quota of one keyword in one class. */
export function quotaOf(quotas: Quotas, className: string, keyword: string): number {
  const table = quotas.method === 'per-keyword' ? quotas.perKeyword : Object.hasOwn(quotas.perClass, className) ? quotas.perClass[className] : {};
  return Object.hasOwn(table, keyword) ? table[keyword] : 0;
}
