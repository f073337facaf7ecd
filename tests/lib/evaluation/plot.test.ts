import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { AccuracyRow, ReleaseEvaluation } from '../../../lib/evaluation/accuracy';
import { PNG_SCALE, scatterSpec, scatterSvg, svgToPng } from '../../../lib/evaluation/plot';

const row = (model: string, originalAccuracy: number, newAccuracy: number, originalCI: [number, number], newCI: [number, number]): AccuracyRow => ({
  model, originalAccuracy, newAccuracy, gap: originalAccuracy - newAccuracy, originalCI, newCI, errorRatio: (100 - newAccuracy) / (100 - originalAccuracy),
});
// Interval ends from 26.4 to 95.1: the axes run from 25 to 100.
const rows = [
  row('a', 90, 70, [82.4, 95.1], [55.4, 82.1]),
  row('b', 80, 50, [70.8, 87.3], [35.5, 64.5]),
  row('c', 65, 40, [54.8, 74.3], [26.4, 54.8]),
];
const evaluation = (over: Partial<ReleaseEvaluation> = {}): ReleaseEvaluation => ({
  release: 'v9', originalSize: 100, newSize: 50, rows, perClass: [], fit: { slope: 1.1579, intercept: -37.3684, r2: 0.9098 }, onlyOriginal: [], onlyNew: [], ...over,
});

/** Layers of the spec, flattened, as plain objects. */
const layers = (spec: object): any[] => (spec as { layer?: any[] }).layer?.flatMap((l) => [l, ...layers(l)]) ?? [];

describe('scatterSpec', () => {
  it('squares both axes on the intervals rounded out to multiples of 5, with a tick every 5', () => {
    const spec = scatterSpec(evaluation()) as any;
    const point = layers(spec).find((l) => l.mark?.type === 'point');
    expect(point.encoding.x.scale.domain).toEqual([25, 100]);
    expect(point.encoding.y.scale.domain).toEqual([25, 100]);
    expect(point.encoding.x.axis.values).toEqual([25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100]);
    expect(point.encoding.y.title).toBe('New test accuracy (CIFAR-10.1 v9, %)');
    // Never past 100%, even when an interval's end would round up beyond it.
    const top = scatterSpec(evaluation({ rows: [row('x', 99, 98, [98.2, 99.6], [97.1, 99.9])], fit: null })) as any;
    expect(layers(top).find((l) => l.mark?.type === 'point').encoding.x.scale.domain).toEqual([95, 100]);
  });

  it('draws y = x over the whole axis and the fit line over the models’ range', () => {
    const all = layers(scatterSpec(evaluation()));
    const lines = all.filter((l) => l.mark?.type === 'line').map((l) => ({ dash: Boolean(l.mark.strokeDash), values: l.data.values }));
    expect(lines).toEqual([
      { dash: true, values: [{ x: 25, y: 25 }, { x: 100, y: 100 }] },
      { dash: false, values: [{ x: 65, y: 1.1579 * 65 - 37.3684 }, { x: 90, y: 1.1579 * 90 - 37.3684 }] },
    ]);
    const points = all.find((l) => l.layer && l.data).data.values;
    expect(points).toEqual([
      { model: 'a', x: 90, y: 70, originalLo: 82.4, originalHi: 95.1, newLo: 55.4, newHi: 82.1 },
      { model: 'b', x: 80, y: 50, originalLo: 70.8, originalHi: 87.3, newLo: 35.5, newHi: 64.5 },
      { model: 'c', x: 65, y: 40, originalLo: 54.8, originalHi: 74.3, newLo: 26.4, newHi: 54.8 },
    ]);
  });

  it('states the fit in the subtitle, or that there is none', () => {
    expect((scatterSpec(evaluation()) as any).title.subtitle).toEqual([
      '3 models, with 95% Clopper-Pearson intervals',
      'linear fit: new = 1.16 × original − 37.4 (r² = 0.910)',
    ]);
    const none = scatterSpec(evaluation({ fit: null })) as any;
    expect(none.title.subtitle[1]).toBe('too few models for a linear fit');
    expect(layers(none).filter((l) => l.mark?.type === 'line')).toHaveLength(1);
  });

  it('falls back to 0..100 with no models', () => {
    const spec = scatterSpec(evaluation({ rows: [], fit: null }));
    expect(layers(spec).find((l) => l.mark?.type === 'point').encoding.x.scale.domain).toEqual([0, 100]);
  });
});

describe('scatterSvg', () => {
  it('puts each model at its accuracies on the 520-pixel square axes, with both error bars', async () => {
    const svg = await scatterSvg(evaluation());
    expect(svg).toContain('CIFAR-10.1 v9: new vs original test accuracy');
    const points = [...svg.matchAll(/aria-label="[^"]*model: ([^"]+)"[^>]*aria-roledescription="point"[^>]*transform="translate\(([-\d.]+),([-\d.]+)\)"/g)];
    const at = (v: number) => ((v - 25) / 75) * 520;
    const close = (v: number) => expect.closeTo(v, 6);
    expect(points.map(([, model, x, y]) => [model, Number(x), Number(y)])).toEqual(
      rows.map((r) => [r.model, close(at(r.originalAccuracy)), close(520 - at(r.newAccuracy))]),
    );
    // Error bars: a vertical rule from newLo to newHi and a horizontal one from originalLo to originalHi per model.
    const bars = [...svg.matchAll(/<line aria-label="[^"]*(newHi|originalHi): [^"]*"[^>]*translate\(([-\d.]+),([-\d.]+)\)" x2="([-\d.]+)" y2="([-\d.]+)"/g)];
    const drawn = bars.map(([, kind, x, y, dx, dy]) => [kind, ...[x, y, dx, dy].map(Number)]);
    expect(drawn).toEqual([
      ...rows.map((r) => ['newHi', close(at(r.originalAccuracy)), close(520 - at(r.newCI[0])), 0, close(at(r.newCI[0]) - at(r.newCI[1]))]),
      ...rows.map((r) => ['originalHi', close(at(r.originalCI[0])), close(520 - at(r.newAccuracy)), close(at(r.originalCI[1]) - at(r.originalCI[0])), 0]),
    ]);
  });

  it('gives the same bytes however many plots the process rendered before (a rebuild in a worker that lives on)', async () => {
    const first = await scatterSvg(evaluation());
    await scatterSvg(evaluation());
    const third = await scatterSvg(evaluation());
    expect(first).toMatch(/clip-path="url\(#clip1\)"/);
    expect(third).toBe(first);
  });
});

describe('svgToPng', () => {
  it(`renders at ${PNG_SCALE}× the SVG's size, shapes where the SVG puts them`, async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="30" height="20"><rect width="30" height="20" fill="white"/><rect x="10" y="5" width="10" height="5" fill="#ff0000"/></svg>';
    const { data, info } = await sharp(await svgToPng(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([30 * PNG_SCALE, 20 * PNG_SCALE]);
    const pixel = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    expect(pixel(25, 12)).toEqual([255, 0, 0]); // inside the red rectangle, (20..40) × (10..20) at 2×
    expect(pixel(39, 19)).toEqual([255, 0, 0]);
    expect(pixel(41, 12)).toEqual([255, 255, 255]);
    expect(pixel(25, 21)).toEqual([255, 255, 255]);
    expect(pixel(5, 5)).toEqual([255, 255, 255]);
  });
});
