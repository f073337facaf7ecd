import { describe, expect, it } from 'vitest';
import { clopperPearson, linearFit } from '../../../lib/evaluation/stats';
import { runPython } from '../../helpers/python';

describe('clopperPearson', () => {
  it('matches scipy.stats.beta.ppf to 1e-9, edges included', () => {
    const cases: [number, number, number][] = [];
    for (const n of [1, 7, 100, 2000, 2021, 10000]) {
      for (const x of new Set([0, 1, Math.floor(n / 3), Math.floor(0.93 * n), n - 1, n])) {
        for (const alpha of [0.05, 0.01]) cases.push([x, n, alpha]);
      }
    }
    const reference: [number, number][] = JSON.parse(
      runPython(
        `import json, sys
from scipy.stats import beta
out = []
for x, n, a in json.load(sys.stdin):
    lo = 0.0 if x == 0 else beta.ppf(a / 2, x, n - x + 1)
    hi = 1.0 if x == n else beta.ppf(1 - a / 2, x + 1, n - x)
    out.append([lo, hi])
print(json.dumps(out))`,
        JSON.stringify(cases),
      ),
    );
    cases.forEach(([x, n, alpha], i) => {
      const [lo, hi] = clopperPearson(x, n, alpha);
      expect(Math.abs(lo - reference[i][0]), `lo x=${x} n=${n}`).toBeLessThan(1e-9);
      expect(Math.abs(hi - reference[i][1]), `hi x=${x} n=${n}`).toBeLessThan(1e-9);
    });
  });

  it('is closed at the edges and rejects impossible counts', () => {
    expect(clopperPearson(0, 50)[0]).toBe(0);
    expect(clopperPearson(50, 50)[1]).toBe(1);
    expect(() => clopperPearson(3, 2)).toThrow(RangeError);
    expect(() => clopperPearson(1.5, 2)).toThrow(RangeError);
  });
});

describe('linearFit', () => {
  it('matches numpy.polyfit and the squared correlation', () => {
    const xs = [97.1, 96.0, 93.5, 88.5, 82.0, 85.6];
    const ys = [93.0, 90.2, 85.2, 77.5, 68.9, 73.1];
    const [slope, intercept, r2] = JSON.parse(
      runPython(
        `import json, sys, numpy as np
x, y = (np.array(v) for v in json.load(sys.stdin))
s, i = np.polyfit(x, y, 1)
print(json.dumps([s, i, np.corrcoef(x, y)[0, 1] ** 2]))`,
        JSON.stringify([xs, ys]),
      ),
    );
    const fit = linearFit(xs, ys);
    expect(fit.slope).toBeCloseTo(slope, 10);
    expect(fit.intercept).toBeCloseTo(intercept, 8);
    expect(fit.r2).toBeCloseTo(r2, 10);
  });

  it('is exact on a line', () => {
    expect(linearFit([1, 2, 3], [5, 7, 9])).toEqual({ slope: 2, intercept: 3, r2: 1 });
  });
});
