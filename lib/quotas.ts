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
