import { describe, expect, it } from 'vitest';
import { createEngine, type DotEngine, ENGINE_ORDER, type EngineName, selfTest } from '../../../lib/knn/engines';
import { bruteDots, randomBytes, withEngine } from './helpers';

const D = 3072;

/** Rows that break saturating kernels (all 255, alternating) among random ones. */
function rows(count: number, seed: number): Uint8Array {
  const out = randomBytes(count * D, seed);
  out.fill(255, 0, D);
  for (let t = 0; t < D; t += 2) out[D + t] = 255;
  return out;
}

const rowSums = (refs: Uint8Array, m: number) => Array.from({ length: m }, (_, j) => refs.subarray(j * D, (j + 1) * D).reduce((s, v) => s + v, 0));

/** The engine's dot products with its bias taken back out: what `dots` stands for. */
async function exactDots(engine: DotEngine, refs: Uint8Array, m: number): Promise<number[]> {
  const y = await engine.dots(refs, m);
  const n = y.length / m;
  const sums = rowSums(refs, m);
  return Array.from(y, (v, at) => v + engine.refBias * sums[Math.floor(at / n)]);
}

describe.each(ENGINE_ORDER)('engine %s', (name) => {
  it('computes every query · reference exactly, tile after tile, for new query blocks too', async ({ skip }) => {
    await withEngine(name, D, skip, async (engine) => {
      expect(engine.name).toBe(name);
      // 7 queries and tiles of 13 and 5 references: multiples of no kernel's register tile.
      const queries = rows(7, 1);
      await engine.setQueries(queries, 7);
      for (const [m, seed] of [[13, 2], [5, 3]]) {
        const refs = rows(m, seed);
        expect(await exactDots(engine, refs, m)).toEqual(bruteDots(queries, 7, refs, m, D));
      }
      const next = rows(3, 4);
      await engine.setQueries(next, 3);
      const refs = rows(9, 5);
      expect(await exactDots(engine, refs, 9)).toEqual(bruteDots(next, 3, refs, 9, D));
    });
  });

  it('reads references from a view into shared memory at an offset (as the worker pool passes them)', async ({ skip }) => {
    await withEngine(name, D, skip, async (engine) => {
      const queries = rows(4, 6);
      await engine.setQueries(queries, 4);
      const shared = new Uint8Array(new SharedArrayBuffer(12 * D));
      shared.set(rows(12, 7));
      const view = shared.subarray(5 * D, 11 * D);
      expect(await exactDots(engine, view, 6)).toEqual(bruteDots(queries, 4, view, 6, D));
    });
  });

  it('passes its self-test', async ({ skip }) => {
    await withEngine(name, D, skip, async (engine) => {
      expect(await selfTest(engine, D)).toBe(true);
    });
  });
});

describe('createEngine', () => {
  it('with auto, takes the first engine of ENGINE_ORDER that loads exact here, and one does', async () => {
    let first: EngineName | undefined;
    for (const name of ENGINE_ORDER) {
      const engine = await createEngine(name, D).catch(() => undefined);
      await engine?.dispose();
      if (engine) {
        first = name;
        break;
      }
    }
    expect(first, 'no kNN engine loads on this machine').toBeDefined();
    const auto = await createEngine('auto', D);
    await auto.dispose();
    expect(auto.name).toBe(first);
  });

  it('names every engine it tried and why, when none can run', async () => {
    await expect(createEngine('wasm', 40)).rejects.toThrow('no usable kNN engine (wasm: needs a dimension that is a multiple of 16, got 40)');
  });

  it('loads js and wasm for any dimension they take (js: any; wasm: multiples of 16)', async () => {
    for (const [name, d] of [['js', 5], ['wasm', 16], ['wasm', 48]] as const) {
      const engine = await createEngine(name, d);
      const queries = randomBytes(3 * d, d);
      const refs = randomBytes(4 * d, d + 1);
      await engine.setQueries(queries, 3);
      expect(Array.from(await engine.dots(refs, 4))).toEqual(bruteDots(queries, 3, refs, 4, d));
      await engine.dispose();
    }
  });
});

describe('selfTest', () => {
  /**
   * The int8 kernel of CPUs without VNNI: u8 × s8 products summed in adjacent
   * pairs into int16, saturating. `saturate` off gives the exact kernel.
   */
  function pairwiseEngine(saturate: boolean): DotEngine {
    let queries = new Uint8Array(0);
    let count = 0;
    return {
      name: 'onnx-int8',
      refBias: 128,
      async setQueries(q, n) {
        queries = q.slice(0, n * D);
        count = n;
      },
      async dots(refs, m) {
        const out = new Int32Array(m * count);
        for (let j = 0; j < m; j++) {
          for (let i = 0; i < count; i++) {
            let s = 0;
            for (let t = 0; t < D; t += 2) {
              const pair = refs[j * D + t] * (queries[i * D + t] - 128) + refs[j * D + t + 1] * (queries[i * D + t + 1] - 128);
              s += saturate ? Math.max(-32768, Math.min(32767, pair)) : pair;
            }
            out[j * count + i] = s;
          }
        }
        return out;
      },
      async dispose() {},
    };
  }

  it('fails an engine whose 16-bit pair sums saturate, and passes the same arithmetic without saturation', async () => {
    expect(await selfTest(pairwiseEngine(true), D)).toBe(false);
    expect(await selfTest(pairwiseEngine(false), D)).toBe(true);
  });
});
