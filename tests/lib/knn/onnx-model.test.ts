import { describe, expect, it } from 'vitest';
import { matMulIntegerModel } from '../../../lib/knn/onnx-model';
import { bruteDots, randomBytes } from './helpers';

type Ort = typeof import('onnxruntime-node');

/** One protobuf field: varints as numbers, length-delimited fields as bytes. */
interface Field {
  field: number;
  value: number | Uint8Array;
}

/** A protobuf message's fields, read by the wire format's rules (varint and length-delimited only). */
function fields(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = () => {
    let value = 0;
    for (let scale = 1; ; scale *= 128) {
      const b = bytes[at++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const [field, wire] = [Math.floor(key / 8), key % 8];
    if (wire === 0) out.push({ field, value: varint() });
    else if (wire === 2) {
      const length = varint();
      out.push({ field, value: bytes.subarray(at, at + length) });
      at += length;
    } else throw new Error(`wire type ${wire} at byte ${at}`);
  }
  expect(at).toBe(bytes.length);
  return out;
}
const all = (msg: Uint8Array, field: number) => fields(msg).filter((f) => f.field === field).map((f) => f.value);
const one = (msg: Uint8Array, field: number) => {
  const found = all(msg, field);
  expect(found, `field ${field}`).toHaveLength(1);
  return found[0];
};
const text = (v: number | Uint8Array) => Buffer.from(v as Uint8Array).toString('utf8');
const sub = (msg: Uint8Array, ...path: number[]) => path.reduce((m, f) => one(m, f) as Uint8Array, msg);

/** A ValueInfoProto's name, element type and dimensions (numbers, or names for symbolic ones). */
function valueInfo(info: Uint8Array) {
  const tensor = sub(info, 2, 1);
  const dims = all(sub(tensor, 2), 1).map((d) => {
    const [f] = fields(d as Uint8Array);
    return f.field === 1 ? f.value : text(f.value);
  });
  return { name: text(one(info, 1)), elemType: one(tensor, 1), dims };
}

describe('matMulIntegerModel', () => {
  it.each([
    ['int8', new Int8Array([-128, 127, 0, -1, 5, 6]), 3],
    ['uint8', new Uint8Array([0, 255, 128, 1, 5, 6]), 2],
  ] as const)('writes the ONNX protobuf of Y = MatMulInteger(A, B) with %s B baked in', (_type, b, elemType) => {
    const model = matMulIntegerModel(b, 2, 3);
    expect(one(model, 1)).toBe(8); // ir_version
    const opset = one(model, 8) as Uint8Array;
    expect([text(one(opset, 1)), one(opset, 2)]).toEqual(['', 13]);
    const graph = sub(model, 7);
    expect(text(one(graph, 2))).toBe('knn');
    const node = sub(graph, 1);
    expect([all(node, 1).map(text), all(node, 2).map(text), text(one(node, 4))]).toEqual([['A', 'B'], ['Y'], 'MatMulInteger']);
    const init = sub(graph, 5);
    expect({ dims: all(init, 1), type: one(init, 2), name: text(one(init, 8)), raw: [...(one(init, 9) as Uint8Array)] }).toEqual({
      dims: [2, 3], type: elemType, name: 'B', raw: [...new Uint8Array(b.buffer)],
    });
    expect(valueInfo(sub(graph, 11))).toEqual({ name: 'A', elemType: 2, dims: ['m', 2] });
    expect(valueInfo(sub(graph, 12))).toEqual({ name: 'Y', elemType: 6, dims: ['m', 3] });
  });

  it('writes multi-byte lengths right for a 3072 × 700 initializer (2,150,400 bytes)', () => {
    const b = randomBytes(3072 * 700, 9);
    const model = matMulIntegerModel(b, 3072, 700);
    const init = sub(model, 7, 5);
    expect(all(init, 1)).toEqual([3072, 700]);
    expect(Buffer.from(one(init, 9) as Uint8Array).equals(Buffer.from(b))).toBe(true);
  });

  it('takes B from a view without copying its neighbours', () => {
    const backing = Uint8Array.from({ length: 10 }, (_, i) => i);
    const model = matMulIntegerModel(backing.subarray(2, 8), 3, 2);
    expect([...(sub(model, 7, 5, 9))]).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('refuses a B of the wrong size', () => {
    expect(() => matMulIntegerModel(new Uint8Array(5), 2, 3)).toThrow(new RangeError('B has 5 values, expected 2×3'));
  });

  it.for(['uint8', 'int8'] as const)('runs in onnxruntime: Y = A · B exactly, B %s', async (type, { skip }) => {
    const ort = await import('onnxruntime-node').then(
      (m) => ((m as { default?: Ort }).default ?? m) as Ort,
      (err: Error) => skip(`onnxruntime-node does not load here: ${err.message}`),
    );
    const [m, d, n] = [5, 3072, 9];
    const a = randomBytes(m * d, 1);
    // B's columns, as rows. int8 B holds them less 64: |u8 · s8| pair sums stay below 2^15, exact on any CPU.
    const shift = type === 'int8' ? 64 : 0;
    const bt = randomBytes(n * d, 2, type === 'int8' ? 128 : 256);
    const b = type === 'int8' ? new Int8Array(d * n) : new Uint8Array(d * n);
    for (let t = 0; t < d; t++) for (let i = 0; i < n; i++) b[t * n + i] = bt[i * d + t] - shift;
    const session = await ort.InferenceSession.create(matMulIntegerModel(b, d, n));
    try {
      const { Y } = await session.run({ A: new ort.Tensor('uint8', a, [m, d]) });
      expect(Y.dims).toEqual([m, n]);
      const rowSum = (r: number) => a.subarray(r * d, (r + 1) * d).reduce((s, v) => s + v, 0);
      expect(Array.from(Y.data as Int32Array, (v, at) => v + shift * rowSum(Math.floor(at / n)))).toEqual(bruteDots(bt, n, a, m, d));
    } finally {
      await session.release();
    }
  });
});
