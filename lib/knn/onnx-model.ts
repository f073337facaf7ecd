/**
 * Builds, in memory, the one-node ONNX model the kNN kernel runs:
 *   Y[m, n] = MatMulInteger(A[m, d] uint8, B[d, n])
 * with B an initializer (so onnxruntime packs it once per session) of int8 or
 * uint8. The protobuf is written by hand: the model is five messages deep and
 * a protobuf library would be a dependency for that alone.
 */

const ELEM_UINT8 = 2;
const ELEM_INT8 = 3;
const ELEM_INT32 = 6;

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

const tag = (field: number, wire: number) => varint(field * 8 + wire);
const int = (field: number, value: number) => [...tag(field, 0), ...varint(value)];
const bytes = (field: number, body: number[]) => [...tag(field, 2), ...varint(body.length), ...body];
const str = (field: number, s: string) => bytes(field, [...Buffer.from(s, 'utf8')]);

/** A dimension is a fixed size or a symbolic name. */
function valueInfo(name: string, elemType: number, dims: Array<number | string>): number[] {
  const shape = dims.flatMap((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  const tensorType = [...int(1, elemType), ...bytes(2, shape)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}

/**
 * Model bytes for Y = A · B, where B (`d×n`, row-major) is baked in as an
 * initializer and A has a variable number of rows.
 */
export function matMulIntegerModel(b: Int8Array | Uint8Array, d: number, n: number): Uint8Array {
  if (b.length !== d * n) throw new RangeError(`B has ${b.length} values, expected ${d}×${n}`);
  const bType = b instanceof Int8Array ? ELEM_INT8 : ELEM_UINT8;
  const node = [...str(1, 'A'), ...str(1, 'B'), ...str(2, 'Y'), ...str(4, 'MatMulInteger')];
  // TensorProto: dims (1), data_type (2), name (8), raw_data (9).
  const initializerHead = [...int(1, d), ...int(1, n), ...int(2, bType), ...str(8, 'B'), ...tag(9, 2), ...varint(b.length)];
  const initializerLength = initializerHead.length + b.length;
  const graphHead = [
    ...bytes(1, node),
    ...str(2, 'knn'),
    ...tag(5, 2),
    ...varint(initializerLength),
    ...initializerHead,
  ];
  const graphTail = [...bytes(11, valueInfo('A', ELEM_UINT8, ['m', d])), ...bytes(12, valueInfo('Y', ELEM_INT32, ['m', n]))];
  const graphLength = graphHead.length + b.length + graphTail.length;
  // ModelProto: ir_version (1) = 8, opset_import (8) = ai.onnx 13, graph (7).
  const modelHead = [...int(1, 8), ...bytes(8, [...str(1, ''), ...int(2, 13)]), ...tag(7, 2), ...varint(graphLength)];
  const out = new Uint8Array(modelHead.length + graphLength);
  out.set(modelHead, 0);
  out.set(graphHead, modelHead.length);
  out.set(new Uint8Array(b.buffer, b.byteOffset, b.length), modelHead.length + graphHead.length);
  out.set(graphTail, modelHead.length + graphHead.length + b.length);
  return out;
}
