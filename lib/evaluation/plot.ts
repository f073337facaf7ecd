import sharp from 'sharp';
import type { TopLevelSpec } from 'vega-lite';
import type { ReleaseEvaluation } from './accuracy';

/** PNG pixels per SVG pixel. */
export const PNG_SCALE = 2;

/**
 * The paper's Figure 1 for one release: new vs original accuracy per model
 * with 95% Clopper-Pearson intervals as error bars, the least-squares line and y = x.
 */
export function scatterSpec(ev: ReleaseEvaluation): TopLevelSpec {
  const points = ev.rows.map((r) => ({
    model: r.model,
    x: r.originalAccuracy,
    y: r.newAccuracy,
    originalLo: r.originalCI[0],
    originalHi: r.originalCI[1],
    newLo: r.newCI[0],
    newHi: r.newCI[1],
  }));
  const ends = ev.rows.flatMap((r) => [...r.originalCI, ...r.newCI]);
  const domain = ends.length ? [Math.floor(Math.min(...ends) / 5) * 5, Math.min(100, Math.ceil(Math.max(...ends) / 5) * 5)] : [0, 100];
  const ticks = Array.from({ length: (domain[1] - domain[0]) / 5 + 1 }, (_, i) => domain[0] + 5 * i);
  const x = { field: 'x', type: 'quantitative', scale: { domain, nice: false }, axis: { values: ticks }, title: 'Original test accuracy (CIFAR-10, %)' } as const;
  const y = { field: 'y', type: 'quantitative', scale: { domain, nice: false }, axis: { values: ticks }, title: `New test accuracy (CIFAR-10.1 ${ev.release}, %)` } as const;
  const [blue, red, grey] = ['#1f77b4', '#d62728', '#666666'];
  const label = (text: string, at: { x: number; y: number }, color: string) =>
    ({
      data: { values: [{ ...at, text }] },
      mark: { type: 'text', align: 'right', dx: -8, fontSize: 13, color },
      encoding: { x, y, text: { field: 'text' } },
    }) as const;
  const originalRange = points.map((p) => p.x);
  const fitLine = ev.fit && [Math.min(...originalRange), Math.max(...originalRange)].map((v) => ({ x: v, y: ev.fit!.slope * v + ev.fit!.intercept }));
  const fitText = ev.fit
    ? `linear fit: new = ${ev.fit.slope.toFixed(2)} × original ${ev.fit.intercept < 0 ? '−' : '+'} ${Math.abs(ev.fit.intercept).toFixed(1)} (r² = ${ev.fit.r2.toFixed(3)})`
    : 'too few models for a linear fit';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `CIFAR-10.1 ${ev.release}: new vs original test accuracy`, subtitle: [`${points.length} models, with 95% Clopper-Pearson intervals`, fitText] },
    width: 520,
    height: 520,
    layer: [
      {
        data: { values: domain.map((v) => ({ x: v, y: v })) },
        mark: { type: 'line', strokeDash: [6, 4], strokeWidth: 1.5, color: grey },
        encoding: { x, y },
      },
      label('y = x', { x: domain[1] - 3, y: domain[1] - 3 }, grey),
      ...(fitLine
        ? [
            { data: { values: fitLine }, mark: { type: 'line', strokeWidth: 2, clip: true, color: red }, encoding: { x, y } } as const,
            label('linear fit', fitLine[0], red),
          ]
        : []),
      {
        data: { values: points },
        layer: [
          // 95% Clopper-Pearson intervals on both axes.
          { mark: { type: 'rule', opacity: 0.4, color: blue }, encoding: { x, y: { ...y, field: 'newLo' }, y2: { field: 'newHi' } } },
          { mark: { type: 'rule', opacity: 0.4, color: blue }, encoding: { y, x: { ...x, field: 'originalLo' }, x2: { field: 'originalHi' } } },
          {
            mark: { type: 'point', filled: true, size: 45, opacity: 1, color: blue },
            encoding: {
              x,
              y,
              tooltip: { field: 'model' },
            },
          },
        ],
      },
    ],
    config: { font: 'DejaVu Sans, sans-serif', title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: '#444' } },
  };
}

/** Renders the scatter plot to SVG with vega, headless (no browser, no canvas). */
export async function scatterSvg(ev: ReleaseEvaluation): Promise<string> {
  // vega is ESM-only with top-level await, so it cannot be require()d from this CommonJS package.
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vl.compile(scatterSpec(ev)).spec), { renderer: 'none' });
  try {
    return numberClipsFromOne(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/**
 * vega numbers clip paths with a counter of the process (clip1, clip2, … over
 * every plot rendered), so the same plot rendered again elsewhere in a
 * worker's life would differ in bytes: number them from 1 in each SVG instead.
 */
function numberClipsFromOne(svg: string): string {
  const ids = new Map<string, number>();
  return svg.replace(/(id="|url\(#)clip(\d+)/g, (_m, lead: string, n: string) => {
    if (!ids.has(n)) ids.set(n, ids.size + 1);
    return `${lead}clip${ids.get(n)}`;
  });
}

/** Rasterizes an SVG (librsvg via sharp) at PNG_SCALE. */
export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 * PNG_SCALE }).png().toBuffer();
}
