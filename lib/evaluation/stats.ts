import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';

/**
 * Exact (Clopper-Pearson) confidence interval for a binomial proportion with
 * `x` successes in `n` trials, as fractions in [0, 1]. Same as
 * statsmodels' `proportion_confint(x, n, alpha, method='beta')`.
 */
export function clopperPearson(x: number, n: number, alpha = 0.05): [number, number] {
  if (!(Number.isInteger(x) && Number.isInteger(n) && n > 0 && x >= 0 && x <= n)) {
    throw new RangeError(`clopperPearson: need integers 0 <= x <= n, n > 0 (x=${x}, n=${n})`);
  }
  // The Beta quantiles are undefined at the edges; the interval is closed there.
  const lo = x === 0 ? 0 : betaQuantile(alpha / 2, x, n - x + 1);
  const hi = x === n ? 1 : betaQuantile(1 - alpha / 2, x + 1, n - x);
  return [lo, hi];
}

export interface LinearFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination of the fit. */
  r2: number;
}

/** Ordinary least-squares fit y ≈ slope · x + intercept (closed form). */
export function linearFit(xs: readonly number[], ys: readonly number[]): LinearFit {
  const n = xs.length;
  if (n < 2 || ys.length !== n) throw new RangeError(`linearFit: need two or more (x, y) pairs, got ${n} and ${ys.length}`);
  const mx = mean(xs);
  const my = mean(ys);
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx;
    const dy = ys[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

function mean(v: readonly number[]): number {
  return v.reduce((s, x) => s + x, 0) / v.length;
}
